package ingest

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

// Fetch limits: each outlet may have FetchBurst answers at once and then
// one every FetchEvery, about 10,000 events a second of its own stream:
// a restored agent catches up a day's work in seconds, and one that asks
// again and again costs the store no more than that.
const (
	FetchBurst = 16
	FetchEvery = 50 * time.Millisecond
)

// fetchLimiter is a token bucket per outlet. Outlets are authenticated
// senders (the broker's login and ACL), so the map holds at most the
// registered outlets.
type fetchLimiter struct {
	mu      sync.Mutex
	buckets map[string]*fetchBucket
}

type fetchBucket struct {
	tokens float64
	at     time.Time
}

func (l *fetchLimiter) allow(outlet string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*fetchBucket{}
	}
	b, ok := l.buckets[outlet]
	if !ok {
		b = &fetchBucket{tokens: FetchBurst, at: now}
		l.buckets[outlet] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(FetchBurst, b.tokens+float64(d)/float64(FetchEvery))
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// handleFetch answers an outlet's Fetch of its own events on its own
// downlink: only the sender's stream (CheckFetch), only its adopted
// incarnation, only what the hub acknowledged, at most MaxOwnEvents and
// DownMaxBytes of event JSON per answer, and at the fetch rate. Beyond the
// rate it answers nothing: the agent asks again after its ack timeout.
func (h *Hub) handleFetch(ctx context.Context, outlet string, payload []byte) []Message {
	var f syncproto.Fetch
	_, err := syncproto.Decode(payload, syncproto.KindFetch, &f)
	if err == nil {
		err = syncproto.CheckFetch(&f, outlet)
	}
	if err != nil {
		return h.refuse(ctx, outlet, "fetch", err)
	}
	if !h.fetches.allow(outlet, h.opt.Clock.Now()) {
		h.m.frames.WithLabelValues("fetch", "limited").Inc()
		if h.rejects.logged(rejectKey{outlet, "fetch_limited"}) {
			h.logger.Warn("fetch beyond the rate refused", "outlet", outlet, "from", f.From, "through", f.Through)
		}
		return nil
	}
	o, err := h.st.Outlet(ctx, outlet)
	if err != nil {
		h.logger.Error("read outlet for a fetch failed", "outlet", outlet, "err", err)
		h.m.frames.WithLabelValues("fetch", "error").Inc()
		return nil
	}
	own := syncproto.Own{Origin: outlet, Incarnation: f.Incarnation, From: f.From, Through: f.From - 1, Events: []syncproto.Event{}}
	if o.Incarnation != f.Incarnation {
		// Another data directory's stream, or none adopted yet: nothing of
		// the adopted one may reach it.
		own.Error = syncproto.IncarnationRefused(o.AckedSeq)
		h.m.frames.WithLabelValues("fetch", "refused").Inc()
		return h.own(outlet, own)
	}
	own.AckedSeq = o.AckedSeq
	through := min(f.Through, o.AckedSeq, f.From+syncproto.MaxOwnEvents-1)
	if through >= f.From {
		evs, rej, err := h.st.StreamEvents(ctx, outlet, o.Epoch, f.From, through, syncproto.MaxOwnEvents)
		if err != nil {
			h.logger.Error("read an outlet's stream failed", "outlet", outlet, "from", f.From, "through", through, "err", err)
			h.m.frames.WithLabelValues("fetch", "error").Inc()
			return nil
		}
		own.Events, own.Rejected, own.Through = contiguous(f.From, evs, rej, h.opt.DownMaxBytes)
	}
	h.m.frames.WithLabelValues("fetch", "ok").Inc()
	return h.own(outlet, own)
}

// contiguous keeps of evs and rej (each in sequence order) the run from
// from on with no sequence missing, and stops before maxBytes of event
// JSON (after the first event); it returns the last sequence covered.
func contiguous(from uint64, evs []syncproto.Event, rej []syncproto.Rejection, maxBytes int) ([]syncproto.Event, []syncproto.Rejection, uint64) {
	outE, outR := []syncproto.Event{}, []syncproto.Rejection(nil)
	next, size := from, 0
	for len(evs) > 0 || len(rej) > 0 {
		switch {
		case len(rej) > 0 && rej[0].Seq == next:
			outR = append(outR, rej[0])
			rej = rej[1:]
		case len(evs) > 0 && evs[0].Seq == next:
			raw, _ := json.Marshal(&evs[0])
			if len(outE) > 0 && size+len(raw) > maxBytes {
				return outE, outR, next - 1
			}
			size += len(raw)
			outE = append(outE, evs[0])
			evs = evs[1:]
		default:
			return outE, outR, next - 1
		}
		next++
	}
	return outE, outR, next - 1
}

func (h *Hub) own(outlet string, own syncproto.Own) []Message {
	own.HubTime = h.opt.Clock.Now().UnixMilli()
	frame, err := syncproto.Encode(syncproto.KindOwn, own, 1024)
	if err != nil {
		h.logger.Error("encode own events failed", "outlet", outlet, "from", own.From, "err", err)
		return nil
	}
	return []Message{{Topic: syncproto.OwnTopic(outlet), Payload: frame}}
}
