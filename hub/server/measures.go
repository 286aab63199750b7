package server

import (
	"context"

	"github.com/yizhan/yizhan/hub/store"
)

// regionsOf is how the measures learn each outlet's region: the outlets'
// groups as the store holds them now ("" for an outlet without one).
func regionsOf(st store.Store) func(context.Context) (map[string]string, error) {
	return func(ctx context.Context) (map[string]string, error) {
		os, err := st.FindOutlets(ctx, store.OutletQuery{})
		if err != nil {
			return nil, err
		}
		out := make(map[string]string, len(os))
		for _, o := range os {
			out[o.ID] = o.Region
		}
		return out, nil
	}
}
