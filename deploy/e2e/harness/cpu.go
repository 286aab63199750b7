package harness

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times. The
// kernel fixes it at 100 on every Linux architecture Go supports, whatever
// its own HZ, so there is no need for sysconf(_SC_CLK_TCK) and cgo.
const clockTicks = 100

// CPUTime returns the CPU time (user plus system, all threads) process pid
// has used so far. Its resolution is 10 ms: measure over work that takes
// seconds. Linux only; elsewhere it returns an error.
func CPUTime(pid int) (time.Duration, error) { return cpuTime(pid) }

// TreeCPUTime returns the CPU time of process pid, of the children it has
// waited for, and of its live children: a PostgreSQL server's postmaster
// and its backends, those that exited included. Linux only.
func TreeCPUTime(pid int) (time.Duration, error) { return treeCPUTime(pid) }

// parseStat reads utime and stime (fields 14 and 15) from the text of
// /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces and parentheses itself, so fields are counted after its last ')'.
func parseStat(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc stat %q: no ')' after the command name", stat)
	}
	// After the name: state is field 3, so utime (14) is index 11.
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc stat: CPU time %q: %v", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// parseTreeStat reads, from the text of /proc/PID/stat, the parent's pid
// (field 4) and utime, stime, cutime and cstime (fields 14 to 17): the
// process's own CPU and that of its children it has waited for.
func parseTreeStat(stat string) (ppid int, cpu time.Duration, err error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("proc stat %q: no ')' after the command name", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("proc stat: %d fields after the command name, want at least 15", len(f))
	}
	if ppid, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, fmt.Errorf("proc stat: parent pid %q: %v", f[1], err)
	}
	var ticks uint64
	for _, s := range f[11:15] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("proc stat: CPU time %q: %v", s, err)
		}
		ticks += n
	}
	return ppid, time.Duration(ticks) * time.Second / clockTicks, nil
}

// CPUMeter reads the CPU time of several processes at the start and end of
// a piece of work, for a benchmark to report each one's CPU per unit.
type CPUMeter struct {
	names []string
	pids  map[string]int
	start map[string]time.Duration
}

// StartCPU takes the first reading of each named process.
func StartCPU(pids map[string]int) (*CPUMeter, error) {
	m := &CPUMeter{pids: pids, start: map[string]time.Duration{}}
	for name, pid := range pids {
		d, err := CPUTime(pid)
		if err != nil {
			return nil, err
		}
		m.names = append(m.names, name)
		m.start[name] = d
	}
	return m, nil
}

// Used returns the CPU time each process has used since StartCPU. Read it
// before the processes exit: an exited process has no stat file.
func (m *CPUMeter) Used() (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, name := range m.names {
		d, err := CPUTime(m.pids[name])
		if err != nil {
			return nil, err
		}
		out[name] = d - m.start[name]
	}
	return out, nil
}
