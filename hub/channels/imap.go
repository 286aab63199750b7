package channels

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// IMAP is the complaints mailbox ([channels.imap]).
type IMAP struct {
	Addr string `toml:"addr" flag:"imap-addr" help:"host:port of the complaints mailbox's IMAP server (empty: no mailbox read)"`
	User string `toml:"user" flag:"imap-user" help:"the mailbox's IMAP login"`
	// PasswordFile keeps the password out of the settings file and ps.
	PasswordFile string        `toml:"password_file" flag:"imap-password-file" help:"file holding the mailbox's IMAP password"`
	Mailbox      string        `toml:"mailbox" flag:"imap-mailbox" help:"the folder read for complaints"`
	TLS          bool          `toml:"tls" flag:"imap-tls" help:"IMAP over TLS (port 993); without it only a loopback server is allowed"`
	Poll         time.Duration `toml:"poll" flag:"imap-poll" help:"how often the mailbox is read"`
	// Password is read from PasswordFile by the program.
	Password string `toml:"-"`
}

// DefaultIMAP are the mailbox settings before any are given.
var DefaultIMAP = IMAP{Mailbox: "INBOX", TLS: true, Poll: time.Minute}

// Check refuses mailbox settings that cannot work or would send the
// password in clear over a network.
func (c IMAP) Check() error {
	if c.Addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("addr %q: want host:port, e.g. mail.example.com:993", c.Addr)
	}
	if !c.TLS && !loopback(host) {
		return fmt.Errorf("addr %q without tls would send the password in clear: set tls = true (port 993)", c.Addr)
	}
	if c.User == "" || c.PasswordFile == "" {
		return errors.New("user and password_file are required with addr")
	}
	if c.Poll < time.Second {
		return fmt.Errorf("poll %v: at least 1s", c.Poll)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PollReport is what one read of the mailbox did.
type PollReport struct {
	Seen       int // unseen mails found
	Recorded   int // new complaints
	Duplicates int // mails recorded before (read again before \Seen was set)
	Failed     int // mails left unseen, to be read again next time
}

// maxPerPoll bounds the mails one read takes; the rest wait for the next.
const maxPerPoll = 100

// PollIMAP reads the unseen mails of the mailbox once: each becomes a
// complaint (Receive), and only after it is recorded is the mail marked
// \Seen, so a hub stopped in between reads it again and Receive finds it
// recorded. The mail's id is its Message-ID, or its UIDVALIDITY and UID
// when it has none. Its arrival is the server's INTERNALDATE.
func (s *Service) PollIMAP(ctx context.Context, c IMAP) (PollReport, error) {
	rep, err := s.pollIMAP(ctx, c)
	if err != nil {
		s.reads[1].Add(1)
	} else {
		s.reads[0].Add(1)
		s.lastRead.Store(s.opt.Clock.Now().UnixMilli())
	}
	return rep, err
}

func (s *Service) pollIMAP(ctx context.Context, c IMAP) (PollReport, error) {
	var rep PollReport
	cl, err := dialIMAP(ctx, c)
	if err != nil {
		return rep, err
	}
	defer cl.Close()
	if err := cl.Login(c.User, c.Password).Wait(); err != nil {
		return rep, fmt.Errorf("log in to %s as %s: %w", c.Addr, c.User, err)
	}
	mb, err := cl.Select(c.Mailbox, nil).Wait()
	if err != nil {
		return rep, fmt.Errorf("select %s on %s: %w", c.Mailbox, c.Addr, err)
	}
	found, err := cl.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return rep, fmt.Errorf("search %s for unseen mail: %w", c.Mailbox, err)
	}
	uids := found.AllUIDs()
	rep.Seen = len(uids)
	if len(uids) > maxPerPoll {
		uids = uids[:maxPerPoll]
	}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		res, err := s.readMail(ctx, cl, mb.UIDValidity, uid)
		if err != nil {
			rep.Failed++
			s.opt.Logger.Warn("complaint mail not recorded; read again next time", "uid", uid, "err", err)
			continue
		}
		if res.Duplicate {
			rep.Duplicates++
		} else {
			rep.Recorded++
		}
		// Recorded: only now is it marked read.
		seen := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}
		if err := cl.Store(imap.UIDSetNum(uid), seen, nil).Close(); err != nil {
			return rep, fmt.Errorf("mark mail %d seen: %w", uid, err)
		}
	}
	_ = cl.Logout().Wait()
	return rep, nil
}

// readMail fetches one mail (whole if at most MaxMail, else its header),
// and records it.
func (s *Service) readMail(ctx context.Context, cl *imapclient.Client, validity uint32, uid imap.UID) (Result, error) {
	set := imap.UIDSetNum(uid)
	meta, err := cl.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
	if err != nil || len(meta) != 1 {
		return Result{}, fmt.Errorf("fetch size of mail %d: %v", uid, err)
	}
	headerOnly := meta[0].RFC822Size > MaxMail
	// Peek: fetching must not mark it read before it is recorded.
	sec := &imap.FetchItemBodySection{Peek: true}
	if headerOnly {
		sec.Specifier = imap.PartSpecifierHeader
	}
	msgs, err := cl.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
	if err != nil || len(msgs) != 1 {
		return Result{}, fmt.Errorf("fetch mail %d: %v", uid, err)
	}
	raw := msgs[0].FindBodySection(sec)
	if len(raw) > MaxMail+64<<10 {
		raw, headerOnly = headerOf(raw), true // a header that lied about its size
	}
	m, err := ParseMail(raw, headerOnly)
	if err != nil {
		return Result{}, err
	}
	// What the mail says of itself that the checks would refuse is left
	// out, so that a mail never stays unseen for its header alone.
	id := strings.TrimSpace(m.MessageID)
	if !validID(id) {
		id = fmt.Sprintf("uid:%d:%d", validity, uid)
	}
	if !plain(m.From, MaxContact) {
		m.From = ""
	}
	text := m.Complaint()
	if strings.TrimSpace(text) == "" {
		// Someone wrote to the complaints box: a complaint still, which a
		// person reads, not a mail left unseen and read again forever.
		text = noText
	}
	return s.Receive(ctx, Message{Channel: lifecycle.ChannelEmail, ID: id, ArrivedAt: meta[0].InternalDate,
		Contact: m.From, Text: text})
}

// noText is the complaint of a mail with neither subject nor text.
const noText = "[邮件没有主题和正文 / the mail has no subject and no text]"

// headerOf is raw up to its blank line.
func headerOf(raw []byte) []byte {
	s := string(raw)
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		return raw[:i]
	}
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return raw[:i]
	}
	return raw[:min(len(raw), 64<<10)]
}

func dialIMAP(ctx context.Context, c IMAP) (*imapclient.Client, error) {
	d := &net.Dialer{Timeout: 15 * time.Second}
	var (
		conn net.Conn
		err  error
	)
	if c.TLS {
		host, _, _ := net.SplitHostPort(c.Addr)
		conn, err = (&tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}}).DialContext(ctx, "tcp", c.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", c.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("reach the complaints mailbox at %s: %w", c.Addr, err)
	}
	// A server that stops answering must not hold the poller for good.
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	cl := imapclient.New(conn, nil)
	if err := cl.WaitGreeting(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("IMAP greeting from %s: %w", c.Addr, err)
	}
	return cl, nil
}

// RunIMAP reads the mailbox every c.Poll until ctx ends; onErr hears of a
// read that failed (the next one tries again).
func (s *Service) RunIMAP(ctx context.Context, c IMAP, onErr func(error)) {
	t := time.NewTicker(c.Poll)
	defer t.Stop()
	for {
		rep, err := s.PollIMAP(ctx, c)
		if err != nil && ctx.Err() == nil {
			onErr(err)
		}
		if err == nil && (rep.Recorded > 0 || rep.Failed > 0) {
			s.opt.Logger.Info("complaints mailbox read", "recorded", rep.Recorded, "duplicates", rep.Duplicates, "failed", rep.Failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
