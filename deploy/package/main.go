// Command package builds the Linux packages of both programs, a .deb and an
// .rpm each, with nfpm's Go API (github.com/goreleaser/nfpm/v2), so "make
// package" needs nothing but Go:
//
//	go run ./deploy/package [--version 1.2.3] [--arch amd64] [--out dist] [--bin DIR] [--formats deb,rpm]
//
// What each package holds, and its scripts, is spec.go and scripts/. The
// binaries are built here (static, CGO_ENABLED=0, so one package runs on
// any glibc or none) unless --bin names a directory that has them. Without
// --version the version comes from git (see gitVersion).
//
// Exit codes: 0 success, 1 a build failed, 2 usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "package version, e.g. 1.2.3 (default: from git describe)")
	arch := fs.String("arch", "amd64", "GOARCH of the binaries and the packages: amd64 or arm64")
	out := fs.String("out", "dist", "directory the packages are written to")
	bin := fs.String("bin", "", "directory holding yizhan-agent and yizhan-hub built for linux/ARCH (default: build them)")
	formats := fs.String("formats", "deb,rpm", "package formats, comma-separated")
	repo := fs.String("repo", ".", "the repository's root (units, sample settings)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "package: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *arch != "amd64" && *arch != "arm64" {
		fmt.Fprintf(stderr, "package: --arch %q: use amd64 or arm64\n", *arch)
		return 2
	}
	var fmts []string
	for _, f := range strings.Split(*formats, ",") {
		if f = strings.TrimSpace(f); f != "deb" && f != "rpm" {
			fmt.Fprintf(stderr, "package: --formats: %q is not deb or rpm\n", f)
			return 2
		}
		fmts = append(fmts, f)
	}
	if *version == "" {
		v, err := gitVersion(*repo)
		if err != nil {
			fmt.Fprintf(stderr, "package: %v; give --version\n", err)
			return 2
		}
		*version = v
	} else if err := checkVersion(*version); err != nil {
		fmt.Fprintf(stderr, "package: --version: %v\n", err)
		return 2
	}
	if *bin == "" {
		dir, err := os.MkdirTemp("", "yizhan-package-")
		if err != nil {
			fmt.Fprintf(stderr, "package: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := buildBinaries(*repo, dir, *arch); err != nil {
			fmt.Fprintf(stderr, "package: %v\n", err)
			return 1
		}
		*bin = dir
	}
	built, err := Build(Options{Repo: *repo, Bin: *bin, Out: *out, Version: *version, Arch: *arch, Formats: fmts})
	if err != nil {
		fmt.Fprintf(stderr, "package: %v\n", err)
		return 1
	}
	for _, p := range built {
		fmt.Fprintln(stdout, p)
	}
	return 0
}

// buildBinaries builds both programs for linux/arch into dir. Static and
// without the build path, so the same source gives the same binary.
func buildBinaries(repo, dir, arch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", dir+string(filepath.Separator),
		"./agent/cmd/yizhan-agent", "./hub/cmd/yizhan-hub")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// versionRE is what both dpkg and rpm take as an upstream version: digits
// first, then letters, digits and . + ~ (no -, which both read as the
// release's separator).
var versionRE = regexp.MustCompile(`^[0-9][0-9A-Za-z.+~]*$`)

func checkVersion(v string) error {
	if !versionRE.MatchString(v) {
		return fmt.Errorf("%q: a version starts with a digit and has only letters, digits and . + ~", v)
	}
	return nil
}

// gitVersion names the checked-out commit as a version that grows with
// every commit: the last tag vX.Y.Z as X.Y.Z, and commits after it as
// X.Y.Z+N.gHASH; with no tag, 0.0.0+N.gHASH where N counts all commits.
func gitVersion(repo string) (string, error) {
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	if d, err := git("describe", "--tags", "--long", "--match", "v[0-9]*"); err == nil {
		m := regexp.MustCompile(`^v([0-9][0-9A-Za-z.]*)-([0-9]+)-(g[0-9a-f]+)$`).FindStringSubmatch(d)
		if m == nil {
			return "", fmt.Errorf("git describe gave %q, which is not vX.Y.Z-N-gHASH", d)
		}
		if m[2] == "0" {
			return m[1], nil
		}
		return m[1] + "+" + m[2] + "." + m[3], nil
	}
	n, err := git("rev-list", "--count", "HEAD")
	if err != nil {
		return "", errors.New("no version from git (not a git checkout?)")
	}
	h, err := git("rev-parse", "--short", "HEAD")
	if err != nil {
		return "", errors.New("no version from git (not a git checkout?)")
	}
	return "0.0.0+" + n + ".g" + h, nil
}
