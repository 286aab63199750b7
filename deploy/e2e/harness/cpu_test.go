package harness

import (
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		err        bool
	}{
		{"plain", "123 (mosquitto)" + statTail("150", "25"), 1750 * time.Millisecond, false},
		{"name with spaces and parens", "7 (a) b (c)" + statTail("3", "4"), 70 * time.Millisecond, false},
		{"large", "9 (yizhan-hub)" + statTail("8640000", "0"), 24 * time.Hour, false},
		{"no name", "123 mosquitto S 1", 0, true},
		{"short", "123 (x) S 1 2 3", 0, true},
		{"not a number", "1 (x)" + statTail("-5", "1"), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.stat)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("parseStat(%q) = %v, %v; want %v, error %v", tc.stat, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseTreeStat(t *testing.T) {
	// utime 150, stime 25, cutime 300, cstime 5: 4.8 s; parent 42.
	ppid, got, err := parseTreeStat("123 (postgres) S 42 2 3 4 5 6 7 8 9 10 150 25 300 5 20 0 4 0 99 1000 50")
	if err != nil || ppid != 42 || got != 4800*time.Millisecond {
		t.Fatalf("parseTreeStat = %d, %v, %v; want 42, 4.8s", ppid, got, err)
	}
	if _, _, err := parseTreeStat("123 (x) S 1 2 3 4 5 6 7 8 9 10 1 2"); err == nil {
		t.Fatal("a stat without the children's times parsed")
	}
	if _, _, err := parseTreeStat("123 (x) S p 2 3 4 5 6 7 8 9 10 1 2 3 4"); err == nil {
		t.Fatal("a stat with a non-numeric parent parsed")
	}
}

// statTail is what follows the command name, with utime and stime given.
func statTail(utime, stime string) string {
	return " S 1 2 3 4 5 6 7 8 9 10 " + utime + " " + stime + " 0 0 20 0 4 0 99 1000 50"
}
