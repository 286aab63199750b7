package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// MaxHandoverSignatureBytes bounds each of the two signatures on a handover;
// both travel in one event.
const MaxHandoverSignatureBytes = 24 << 10

// Manifest returns a manifest head office sent.
func (s *Service) Manifest(id string) (lifecycle.Manifest, error) {
	var m lifecycle.Manifest
	ok, err := s.read(lifecycle.KindManifest, id, &m)
	if err == nil && (!ok || m.Revision == 0) {
		err = problem.New(problem.ManifestNotFound, "id", id)
	}
	return m, err
}

// Manifests lists the manifests received, newest first.
func (s *Service) Manifests(n int) ([]lifecycle.Manifest, error) {
	return list(s, lifecycle.KindManifest, n, func(m *lifecycle.Manifest) bool { return m.Revision > 0 })
}

// Handover returns a handover session reconciled against the manifests as
// held now (a manifest amended or arriving late is taken into account).
func (s *Service) Handover(id string) (lifecycle.Handover, error) {
	var h lifecycle.Handover
	err := s.file.View(func(tx *bolt.Tx) error {
		past, err := entityHistory(tx, lifecycle.KindHandover, id)
		if err != nil || past.none() {
			return err
		}
		k, _ := lifecycle.KindByName(lifecycle.KindHandover)
		st, err := past.fold(tx, target{k, id})
		if err == nil {
			h = st.(lifecycle.Handover)
		}
		return err
	})
	if err == nil && h.State == "" {
		err = problem.New(problem.HandoverNotFound, "id", id)
	}
	return h, err
}

// Handovers lists sessions, newest first.
func (s *Service) Handovers(n int) ([]lifecycle.Handover, error) {
	return list[lifecycle.Handover](s, lifecycle.KindHandover, n, nil)
}

// OpenHandover starts a courier's handover at the counter against the
// given manifests (none for a courier without one).
func (s *Service) OpenHandover(ctx context.Context, a Actor, courier string, manifests []string) (lifecycle.Handover, error) {
	courier = strings.TrimSpace(courier)
	if courier == "" {
		return lifecycle.Handover{}, problem.New(problem.HandoverCourier)
	}
	for _, m := range manifests {
		if _, err := s.Manifest(m); err != nil {
			return lifecycle.Handover{}, problem.Wrap(err, problem.ManifestNotReceived, "id", m)
		}
	}
	id := syncproto.NewID()
	if _, err := s.append(ctx, a, lifecycle.HandoverOpened, id, lifecycle.HandoverOpenedV1{Manifests: manifests, Courier: courier, Staff: a.ID, At: s.now()}); err != nil {
		return lifecycle.Handover{}, err
	}
	return s.Handover(id)
}

// HandoverScan records one parcel scanned in the session. Any order,
// repeats allowed; a parcel on no manifest is accepted and shows as extra.
func (s *Service) HandoverScan(ctx context.Context, a Actor, id, raw string) (lifecycle.Handover, error) {
	res, err := ingest.Classify(raw, "")
	if err != nil {
		return lifecycle.Handover{}, err
	}
	waybill := res.Waybill
	h, err := s.Handover(id)
	if err != nil {
		return h, err
	}
	if err := h.Check(lifecycle.HandoverScanned); err != nil {
		return h, err
	}
	if _, err := s.append(ctx, a, lifecycle.HandoverScanned, id, lifecycle.HandoverScanV1{Waybill: waybill, At: s.now()}); err != nil {
		return h, err
	}
	return s.Handover(id)
}

// SignatureReq is one party's signature on the handover.
type SignatureReq struct {
	Signer       string `json:"signer"`
	SVG          string `json:"svg,omitempty"`
	Confirmation string `json:"confirmation,omitempty"`
}

func (r SignatureReq) signature() (lifecycle.Signature, error) {
	sig := lifecycle.Signature{Signer: strings.TrimSpace(r.Signer), Confirmation: strings.TrimSpace(r.Confirmation)}
	if r.SVG != "" {
		if len(r.SVG) > MaxHandoverSignatureBytes {
			return sig, problem.New(problem.SignatureTooLarge, "max_kib", MaxHandoverSignatureBytes>>10)
		}
		if err := checkSignature(r.SVG); err != nil {
			return sig, err
		}
		sum := sha256.Sum256([]byte(r.SVG))
		sig.SVG, sig.SHA256 = r.SVG, hex.EncodeToString(sum[:])
	}
	return sig, nil
}

// CloseHandover closes the session with the courier's and the clerk's
// signatures, then raises an exception for every parcel missing from or
// extra to the manifests. The exceptions' ids come from the session and
// the waybill, so raising them again after a crash changes nothing.
func (s *Service) CloseHandover(ctx context.Context, a Actor, id string, courier, clerk SignatureReq) (lifecycle.Handover, error) {
	cs, err := courier.signature()
	if err != nil {
		return lifecycle.Handover{}, err
	}
	if clerk.Signer == "" {
		clerk.Signer = a.ID
	}
	ks, err := clerk.signature()
	if err != nil {
		return lifecycle.Handover{}, err
	}
	if ks.Signer != a.ID {
		return lifecycle.Handover{}, problem.New(problem.HandoverClerkSigner)
	}
	h, err := s.Handover(id)
	if err != nil {
		return h, err
	}
	if cs.Signer == ks.Signer {
		return h, problem.New(problem.HandoverSameSigner)
	}
	closed := lifecycle.HandoverClosedV1{Courier: cs, Clerk: ks, At: s.now()}
	if err := h.CheckClose(closed); err != nil {
		return h, err
	}
	if _, err := s.append(ctx, a, lifecycle.HandoverClosed, id, closed); err != nil {
		return h, err
	}
	if err := s.raiseHandoverExceptions(ctx, id); err != nil {
		return h, err
	}
	return s.Handover(id)
}

// raiseHandoverExceptions reports what a closed session found, skipping
// what is already reported, then takes the session off the open list.
func (s *Service) raiseHandoverExceptions(ctx context.Context, id string) error {
	h, err := s.Handover(id)
	if err != nil || h.State != lifecycle.HandoverStateClosed {
		return err
	}
	for _, x := range h.Exceptions() {
		if _, err := s.Exception(x.ID); err == nil {
			continue
		}
		if _, err := s.append(ctx, Actor{ID: x.Report.Owner}, lifecycle.ExceptionReported, x.ID, x.Report); err != nil && !isDuplicate(err) {
			return err
		}
	}
	return s.file.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOpen).Delete(stateKey(lifecycle.KindHandover, id))
	})
}

func isDuplicate(err error) bool { return problem.Is(err, problem.ExceptionReported) }

// sweepHandovers finishes sessions closed before a crash let their
// exceptions be raised.
func (s *Service) sweepHandovers(ctx context.Context) int {
	hs, err := openStates[lifecycle.Handover](s, lifecycle.KindHandover)
	if err != nil {
		return 0
	}
	n := 0
	for _, h := range hs {
		if h.State == lifecycle.HandoverStateClosed {
			if err := s.raiseHandoverExceptions(ctx, h.ID); err != nil {
				s.logger.Warn("handover exceptions not raised", "handover", h.ID, "err", err)
				continue
			}
			n++
		}
	}
	return n
}
