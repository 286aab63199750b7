package channels

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"slices"
	"strings"

	// Every charset mail may come in, GB18030 and GBK among them
	// (golang.org/x/text), for bodies and RFC 2047 subjects alike.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"
)

// MaxMail is the largest mail read whole; of a larger one only the header
// is read, and the complaint says its body was too large.
const MaxMail = 1 << 20

// maxParts bounds the parts of one mail walked (a hostile mail may nest
// thousands).
const maxParts = 64

// Mail is what a complaint takes from one mail.
type Mail struct {
	MessageID string
	From      string
	Subject   string
	Text      string
	// Attachments are the names of the parts that were not text: counted
	// and named in the complaint, never opened.
	Attachments []string
}

// bodyOmitted ends a complaint whose mail was too large to read.
const bodyOmitted = "[邮件正文超过大小上限，未读取 / mail body over the size limit, not read]"

// ParseMail decodes a mail: the header's RFC 2047 words, each text part's
// transfer encoding (quoted-printable, base64) and charset into UTF-8,
// HTML parts stripped to their text (a text/plain part is preferred when
// both are there). headerOnly says raw is the header alone.
func ParseMail(raw []byte, headerOnly bool) (Mail, error) {
	if headerOnly {
		raw = append(bytes.TrimRight(raw, "\r\n"), "\r\n\r\n"...)
	}
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && r == nil {
		return Mail{}, fmt.Errorf("read mail header: %w", err)
	}
	defer r.Close()
	var m Mail
	m.MessageID, _ = r.Header.MessageID()
	if m.Subject, err = r.Header.Subject(); err != nil {
		m.Subject = r.Header.Get("Subject")
	}
	if from, err := r.Header.AddressList("From"); err == nil && len(from) > 0 {
		m.From = from[0].Address
	}
	if headerOnly {
		m.Text = bodyOmitted
		return m, nil
	}
	var plain, htmlText []string
	for n := 0; n < maxParts; n++ {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if p == nil {
				break // what was read so far is the complaint
			}
		}
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			b, err := io.ReadAll(io.LimitReader(p.Body, MaxMail))
			if err != nil && len(b) == 0 {
				continue
			}
			switch ct {
			case "text/plain", "":
				plain = append(plain, string(b))
			case "text/html":
				htmlText = append(htmlText, StripHTML(string(b)))
			default:
				m.Attachments = append(m.Attachments, ct)
			}
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			if name == "" {
				name, _, _ = mime.ParseMediaType(h.Get("Content-Type"))
			}
			m.Attachments = append(m.Attachments, name)
		}
	}
	if len(plain) > 0 {
		m.Text = strings.Join(plain, "\n")
	} else {
		m.Text = strings.Join(htmlText, "\n")
	}
	return m, nil
}

// Complaint is the mail's words as the complaint keeps them: the subject,
// the text, and the attachments it had.
func (m Mail) Complaint() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(m.Subject))
	if t := strings.TrimSpace(m.Text); t != "" {
		b.WriteString("\n\n")
		b.WriteString(t)
	}
	if len(m.Attachments) > 0 {
		fmt.Fprintf(&b, "\n\n[附件未打开 / attachments not opened: %s]", strings.Join(m.Attachments, ", "))
	}
	return b.String()
}

// StripHTML is the text of an HTML fragment: its text nodes, with scripts
// and styles left out and block ends as line breaks. Nothing is fetched or
// run.
func StripHTML(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(collapse.ReplaceAllString(b.String(), "\n"))
		case html.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip++
			case "br", "p", "div", "li", "tr":
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip = max(0, skip-1)
			case "p", "div", "li", "tr":
				b.WriteByte('\n')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

var collapse = regexp.MustCompile(`\s*\n\s*`)

// waybillLike finds the runs of letters and digits a waybill number may be:
// 10 to 30 characters with at least 8 digits (S10 numbers, the carriers'
// all-digit numbers). Which one is a waybill the parcel index decides.
var waybillLike = regexp.MustCompile(`[A-Za-z0-9]{10,30}`)

// WaybillCandidates lists the waybill-like words of text, first seen
// first, at most 8.
func WaybillCandidates(text string) []string {
	var out []string
	for _, w := range waybillLike.FindAllString(text, -1) {
		digits := 0
		for _, r := range w {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		w = strings.ToUpper(w)
		if digits >= 8 && !slices.Contains(out, w) {
			out = append(out, w)
			if len(out) == 8 {
				break
			}
		}
	}
	return out
}
