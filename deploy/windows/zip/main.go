// Command zip writes the Windows package of the outlet agent,
// yizhan-agent-<version>-windows-amd64.zip: the exe, the Windows sample
// settings and a short README.txt in Chinese and English, in one folder of
// that name. "make package-windows" builds the exe and runs it:
//
//	go run ./deploy/windows/zip --exe bin/windows/yizhan-agent.exe --version 1.4.0 --out dist
//
// It uses Go's archive/zip, so no zip tool is needed.
package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

func main() {
	exe := flag.String("exe", "", "yizhan-agent.exe built for windows/amd64 (required)")
	version := flag.String("version", "", "the release's version, in the zip's name (required)")
	out := flag.String("out", "dist", "folder to write the zip to")
	sample := flag.String("sample", "deploy/windows/agent.sample.toml", "the Windows sample settings")
	readme := flag.String("readme", "deploy/windows/README.txt", "the install notes")
	flag.Parse()
	path, err := write(Package{Exe: *exe, Version: *version, Sample: *sample, Readme: *readme}, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zip: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// Package is what goes into the zip.
type Package struct {
	Exe, Version, Sample, Readme string
}

var versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]*$`)

// Name is the zip's name and its one folder's, without .zip.
func (p Package) Name() string { return "yizhan-agent-" + p.Version + "-windows-amd64" }

// write makes dir/<Name>.zip through a temporary file, so a failed run
// leaves no half zip, and returns its path.
func write(p Package, dir string) (string, error) {
	if p.Exe == "" || !versionRE.MatchString(p.Version) {
		return "", fmt.Errorf("need --exe FILE and a --version such as 1.4.0 (letters, digits and . + _ -), got %q and %q", p.Exe, p.Version)
	}
	exe, err := os.ReadFile(p.Exe)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(exe, []byte("MZ")) {
		return "", fmt.Errorf("%s is not a Windows executable: build it with GOOS=windows GOARCH=amd64", p.Exe)
	}
	sample, err := os.ReadFile(p.Sample)
	if err != nil {
		return "", err
	}
	readme, err := os.ReadFile(p.Readme)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(p.Exe)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, p.Name()+".zip")
	tmp, err := os.CreateTemp(dir, ".zip-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	for _, m := range []struct {
		name string
		data []byte
	}{
		{"yizhan-agent.exe", exe},
		{"agent.sample.toml", crlf(sample)},
		// A byte-order mark and CR LF: Notepad of any age shows the Chinese.
		{"README.txt", append([]byte("\ufeff"), crlf(readme)...)},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.Name() + "/" + m.name, Method: zip.Deflate, Modified: fi.ModTime().UTC().Truncate(time.Second)})
		if err == nil {
			_, err = w.Write(m.data)
		}
		if err != nil {
			tmp.Close()
			return "", fmt.Errorf("%s: %w", m.name, err)
		}
	}
	err = errors.Join(zw.Close(), tmp.Chmod(0o644), tmp.Sync(), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	return dst, err
}

// crlf gives text Windows line ends (a file that has them keeps them).
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}
