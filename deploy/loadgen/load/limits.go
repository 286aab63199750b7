package load

import "fmt"

// filesPerOutlet is what one simulated outlet holds open: its MQTT
// connection and its event log's bbolt file.
const filesPerOutlet = 2

// reservedFiles is left for everything else: standard streams, the
// runtime's poller, the report files, the registration's HTTP connections.
const reservedFiles = 64

// MaxOutlets is how many outlets fit in this process's open-files limit.
func MaxOutlets() int {
	return max((openFilesLimit()-reservedFiles)/filesPerOutlet, 0)
}

// TooManyError refuses a run that does not fit in one process.
type TooManyError struct{ Asked, Max int }

func (e *TooManyError) Error() string {
	return fmt.Sprintf("%d outlets do not fit in one process: each holds %d open files (its MQTT connection and its event log) and this process may open %d, enough for %d outlets; split the run across processes with --shard 0/N … --shard N-1/N, each taking every N-th outlet",
		e.Asked, filesPerOutlet, openFilesLimit(), e.Max)
}
