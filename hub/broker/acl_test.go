package broker

import "testing"

func TestACLRules(t *testing.T) {
	for _, tc := range []struct {
		topic       string
		write, read bool
	}{
		{"yz/v1/outlets/A/up/batch", true, false},
		{"yz/v1/outlets/A/up/pull", true, false},
		{"yz/v1/outlets/A/up/#", false, false},
		{"yz/v1/outlets/A/up/", false, false},
		{"yz/v1/outlets/A/up", false, false},
		{"yz/v1/outlets/B/up/batch", false, false},
		{"yz/v1/outlets/AB/up/batch", false, false},
		{"yz/v1/outlets/A/down/ack", false, true},
		{"yz/v1/outlets/A/down/#", false, true},
		{"yz/v1/outlets/A/down/+", false, true},
		{"yz/v1/outlets/A/down", false, false},
		{"yz/v1/outlets/B/down/ack", false, false},
		{"yz/v1/outlets/+/down/#", false, false},
		{"yz/v1/broadcast/poke", false, true},
		{"yz/v1/broadcast/#", false, true},
		{"yz/v1/#", false, false},
		{"#", false, false},
		{"$SYS/#", false, false},
		{"$share/g/yz/v1/outlets/A/down/#", false, false},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			if got := mayWrite("A", tc.topic); got != tc.write {
				t.Errorf("mayWrite = %v, want %v", got, tc.write)
			}
			if got := mayRead("A", tc.topic); got != tc.read {
				t.Errorf("mayRead = %v, want %v", got, tc.read)
			}
		})
	}
}
