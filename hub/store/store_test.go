package store

import (
	"slices"
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	s, err := NewSecret()
	if err != nil || len(s) != 43 {
		t.Fatalf("NewSecret = %q, %v", s, err)
	}
	h1, _ := HashSecret(s)
	h2, _ := HashSecret(s)
	if h1 == h2 {
		t.Errorf("two hashes of one secret are equal: salt missing")
	}
	if strings.Contains(h1, s) {
		t.Errorf("hash contains the secret")
	}
	for _, tc := range []struct {
		name, stored, secret string
		want                 bool
	}{
		{"right", h1, s, true},
		{"other salt", h2, s, true},
		{"wrong", h1, s + "x", false},
		{"empty", h1, "", false},
		{"not a hash", "plain", "plain", false},
		{"unknown scheme", strings.Replace(h1, "sha256", "md5", 1), s, false},
		{"no stored hash", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckSecret(tc.stored, tc.secret); got != tc.want {
				t.Errorf("CheckSecret = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckSecretStrength(t *testing.T) {
	for i := 0; i < 200; i++ {
		s, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckSecretStrength(s); err != nil {
			t.Fatalf("a generated secret %q is refused: %v", s, err)
		}
	}
	for _, s := range []string{"kT9-wq2Zr7vB4xLm8sYc1pHd", "s3cret-a-Kq7vX2pLm9Rt4Wz", "correct-horse-battery-staple-42"} {
		if err := CheckSecretStrength(s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	for _, tc := range []struct{ secret, want string }{
		{"s3cret", "(6 characters, 6 different)"},
		{"kT9-wq2Zr7vB4xLm8sYc1pH", "(23 characters"},
		{strings.Repeat("ab", 20), "40 characters, 2 different"},
		{"abcdefghijklmnopqrstuvwxyz0123", "a run"},
		{"Kq7vX2pLm9Rt-Kq7vX2pLm9Rt-", "a repeated word"},
		{"kT9-wq2Zr7vB4xLm8sYc1pHd xyz", "spaces or control characters"},
		{"kT9-wq2Zr7vB4xLm8sYc1pHd\x00", "spaces or control characters"},
	} {
		err := CheckSecretStrength(tc.secret)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "openssl rand -base64 32") {
			t.Errorf("CheckSecretStrength(%q) = %v, want an error with %q and the way to make one", tc.secret, err, tc.want)
		}
	}
}

// BenchmarkCheckSecret is the cost of one broker connect's secret check,
// which every outlet pays again after each reconnect.
func BenchmarkCheckSecret(b *testing.B) {
	s, _ := NewSecret()
	h, _ := HashSecret(s)
	for b.Loop() {
		if !CheckSecret(h, s) {
			b.Fatal("secret refused")
		}
	}
}

// An outlet-day's row sums its persons' counters, adds deltas to what it
// holds, drops counters back at zero, and refuses what it cannot hold or
// read.
func TestOutletDays(t *testing.T) {
	days, err := OutletDays([]Tally{
		{Day: 2, Outlet: "B", Person: "B/c1", Name: TallyInbound, N: 1},
		{Day: 1, Outlet: "A", Person: "A/c2", Name: TallyPickedUp, N: 2},
		{Day: 1, Outlet: "A", Person: "A/c1", Name: TallyInbound, N: 3},
		{Day: 1, Outlet: "A", Person: "A/c2", Name: TallyInbound, N: 4},
		{Day: 1, Outlet: "A", Person: "A/c1", Name: TallyReturned, N: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []OutletDay{{1, "A", "parcels.inbound:7,parcels.picked_up:2"}, {2, "B", "parcels.inbound:1"}}
	if !slices.Equal(days, want) {
		t.Fatalf("outlet days %v, want %v", days, want)
	}
	sum, err := days[0].Add(OutletDay{1, "A", "parcels.dwell.3:1,parcels.inbound:-7"})
	if err != nil || sum.Counts != "parcels.dwell.3:1,parcels.picked_up:2" {
		t.Errorf("sum %q %v", sum.Counts, err)
	}
	ts, err := sum.Tallies(nil)
	if err != nil || len(ts) != 2 || ts[0] != (Tally{Day: 1, Outlet: "A", Name: "parcels.dwell.3", N: 1}) {
		t.Errorf("tallies %v %v", ts, err)
	}
	for _, bad := range []string{"parcels.inbound", "parcels.inbound:x", ":3", "a:1,,b:2"} {
		if _, err := (OutletDay{1, "A", bad}).Tallies(nil); err == nil {
			t.Errorf("counts %q read", bad)
		}
	}
	for _, name := range []string{"a,b", "a:b", ""} {
		if _, err := OutletDays([]Tally{{Day: 1, Outlet: "A", Name: name, N: 1}}); err == nil {
			t.Errorf("counter %q taken", name)
		}
	}
}
