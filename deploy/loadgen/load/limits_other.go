//go:build !unix

package load

// openFilesLimit is Windows' handle limit, far beyond what a load generator
// reaches.
func openFilesLimit() int { return 1 << 24 }
