package channels

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t testing.TB, s string) string {
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestParseMail(t *testing.T) {
	subj := "=?GBK?B?" + base64.StdEncoding.EncodeToString([]byte(gbk(t, "快递延误"))) + "?="
	for _, tc := range []struct {
		name        string
		raw         []byte
		headerOnly  bool
		subject     string
		text        []string // substrings
		notText     []string
		attachments []string
	}{
		{"plain UTF-8", crlf("From: a@b.c\nSubject: hello\nMessage-ID: <1@x>\n\n我的快递丢了\n"), false, "hello", []string{"我的快递丢了"}, nil, nil},
		{"GBK base64 subject, GBK quoted-printable body", crlf("From: a@b.c\nSubject: " + subj + "\nContent-Type: text/plain; charset=GBK\nContent-Transfer-Encoding: base64\n\n" +
			base64.StdEncoding.EncodeToString([]byte(gbk(t, "三天还没到"))) + "\n"), false, "快递延误", []string{"三天还没到"}, nil, nil},
		{"HTML only, stripped", crlf("From: a@b.c\nSubject: s\nContent-Type: text/html; charset=utf-8\n\n<html><head><title>t</title><style>p{}</style></head><body><p>包裹&amp;破损</p><script>steal()</script><img src=\"http://x/y\"></body></html>\n"),
			false, "s", []string{"包裹&破损"}, []string{"steal", "p{}", "http://x"}, nil},
		{"attachment named, not read", crlf("From: a@b.c\nSubject: s\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n正文\n--b\nContent-Type: application/x-msdownload\nContent-Disposition: attachment; filename=run.exe\n\nMZpayload\n--b--\n"),
			false, "s", []string{"正文"}, []string{"MZpayload"}, []string{"run.exe"}},
		{"header only", crlf("From: a@b.c\nSubject: big\nMessage-ID: <big@x>\n"), true, "big", []string{bodyOmitted}, nil, nil},
		{"garbage", []byte("\x00\x01not a mail"), false, "", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMail(tc.raw, tc.headerOnly)
			if err != nil {
				if tc.subject == "" {
					return // refused is fine for garbage; it must not panic
				}
				t.Fatal(err)
			}
			if m.Subject != tc.subject {
				t.Errorf("subject %q, want %q", m.Subject, tc.subject)
			}
			for _, w := range tc.text {
				if !strings.Contains(m.Complaint(), w) {
					t.Errorf("text %q lacks %q", m.Complaint(), w)
				}
			}
			for _, w := range tc.notText {
				if strings.Contains(m.Complaint(), w) {
					t.Errorf("text %q holds %q", m.Complaint(), w)
				}
			}
			if !slices.Equal(m.Attachments, tc.attachments) {
				t.Errorf("attachments %v, want %v", m.Attachments, tc.attachments)
			}
		})
	}
}

func FuzzParseMail(f *testing.F) {
	f.Add(crlf("From: a@b.c\nSubject: =?GB18030?B?zbbL3A==?=\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html; charset=gb18030\n\n<p>x</p>\n--b--\n"), false)
	f.Add([]byte("Subject: x\r\n"), true)
	f.Fuzz(func(t *testing.T, raw []byte, headerOnly bool) {
		m, err := ParseMail(raw, headerOnly)
		if err == nil {
			_ = m.Complaint()
		}
	})
}

func TestWaybillCandidates(t *testing.T) {
	got := WaybillCandidates("运单号 yt1234567890123，订单 ABCDEFGHIJK，电话 138, SF1234567890 again yt1234567890123")
	if want := []string{"YT1234567890123", "SF1234567890"}; !slices.Equal(got, want) {
		t.Errorf("candidates %v, want %v", got, want)
	}
}

func TestCheckAndArrival(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at, want time.Time
	}{
		{time.Time{}, now},
		{now.Add(time.Hour), now},
		{now.Add(-time.Hour), now.Add(-time.Hour)},
		{now.AddDate(-3, 0, 0), now.Add(-MaxAge)},
	} {
		if got := Arrival(c.at, now); !got.Equal(c.want) {
			t.Errorf("Arrival(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	long := Message{Channel: "chat", ID: "m1", Text: strings.Repeat("长", MaxText)}
	if err := Check(&long); err != nil || len(long.Text) > MaxText || !strings.HasSuffix(long.Text, "长") {
		t.Errorf("a long text is cut at a character: %v, %d bytes", err, len(long.Text))
	}
	for name, m := range map[string]Message{
		"unknown channel":    {Channel: "fax", ID: "1", Text: "x"},
		"no id":              {Channel: "chat", Text: "x"},
		"control in id":      {Channel: "chat", ID: "a\x00b", Text: "x"},
		"empty text":         {Channel: "chat", ID: "1", Text: "  "},
		"control in waybill": {Channel: "chat", ID: "1", Text: "x", Waybill: "SF\x011"},
		"long contact":       {Channel: "chat", ID: "1", Text: "x", Contact: strings.Repeat("a", MaxContact+1)},
	} {
		if err := Check(&m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
