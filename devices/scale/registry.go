package scale

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Creator builds a scale named name from its driver's JSON config.
type Creator func(name string, config json.RawMessage, opts Options) (*Scale, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Creator{}
)

func init() {
	AddJSON(Driver, New)
}

// Add registers a driver; a duplicate name is a programming error and
// panics.
func Add(driver string, c Creator) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[driver]; dup {
		panic("scale: driver " + driver + " registered twice")
	}
	registry[driver] = c
}

// AddJSON registers a driver whose settings decode from JSON into C.
// Unknown fields are refused, so a misspelt setting fails at start.
func AddJSON[C any](driver string, build func(name string, cfg C, opts Options) (*Scale, error)) {
	Add(driver, func(name string, raw json.RawMessage, opts Options) (*Scale, error) {
		var c C
		if len(raw) > 0 {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				return nil, fmt.Errorf("%s %s: config: %w", driver, name, err)
			}
		}
		return build(name, c, opts)
	})
}

// Drivers lists the registered driver names, sorted.
func Drivers() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for d := range registry {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Build makes a scale with a registered driver from its JSON config,
// without opening it.
func Build(driver, name string, config json.RawMessage, opts Options) (*Scale, error) {
	regMu.RLock()
	c, ok := registry[driver]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("scale %s: unknown driver %q: use one of %s", name, driver, strings.Join(Drivers(), ", "))
	}
	return c(name, config, opts)
}
