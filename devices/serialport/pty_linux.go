//go:build linux

package serialport

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// OpenPty opens a pty pair in raw mode and points link at its device side,
// replacing link atomically, so a driver configured with link sees a
// serial port plugged in. The master side is in the runtime poller, so
// closing it stops a pending read or write at once. who names the
// simulator in errors.
func OpenPty(link, who string) (master, tty *os.File, err error) {
	m, t, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: open pty: %w", who, err)
	}
	// Raw before any byte moves: the line discipline would cook CR LF and
	// echo before the driver sets its own mode.
	if err := makeRaw(t); err != nil {
		m.Close()
		t.Close()
		return nil, nil, fmt.Errorf("%s: raw mode on %s: %w", who, t.Name(), err)
	}
	// pty.Open leaves the master blocking, where Close waits for a read
	// that may never end. A non-blocking duplicate joins the poller.
	fd, err := unix.Dup(int(m.Fd()))
	m.Close()
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		t.Close()
		return nil, nil, fmt.Errorf("%s: pty master: %w", who, err)
	}
	master = os.NewFile(uintptr(fd), "ptmx")
	tmp := link + ".new"
	os.Remove(tmp)
	if err = os.Symlink(t.Name(), tmp); err == nil {
		err = os.Rename(tmp, link)
	}
	if err != nil {
		master.Close()
		t.Close()
		return nil, nil, fmt.Errorf("%s: link %s: %w", who, link, err)
	}
	return master, t, nil
}

func makeRaw(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}
