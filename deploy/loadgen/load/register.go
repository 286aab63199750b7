package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/yizhan/yizhan/syncproto"
)

// Shard is this process's part of a run split across processes: it takes
// the outlets whose index modulo Of is Index.
type Shard struct{ Index, Of int }

// ParseShard reads "i/n".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n, e.g. 0/2 and 1/2 for two processes", s)
	}
	return Shard{i, n}, nil
}

// Outlets lists this shard's outlets of a run of n, with ids prefix-00001
// on (the index is 1-based and zero-padded to five digits) and no secret.
// A zero Shard is the whole run.
func Outlets(prefix string, n int, sh Shard) ([]Outlet, error) {
	if sh.Of == 0 {
		sh = Shard{0, 1}
	}
	var out []Outlet
	for i := 1; i <= n; i++ {
		if i%sh.Of != sh.Index {
			continue
		}
		id := fmt.Sprintf("%s-%05d", prefix, i)
		if err := syncproto.ValidOutletID(id); err != nil {
			return nil, fmt.Errorf("outlet id prefix %q: %w", prefix, err)
		}
		out = append(out, Outlet{ID: id, Index: i})
	}
	return out, nil
}

// NewSecret is a random outlet secret as head office makes them: 32 bytes,
// base64url.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Register registers every outlet at a running hub through the head-office
// API (POST /api/v1/outlets): an outlet with a secret (one the Mosquitto
// files hold) under it, one without under a secret the hub generates and
// Register fills in. An outlet the hub already knows is an error: its
// secret is not to be had again.
func Register(ctx context.Context, hubURL, token string, outlets []Outlet) error {
	hc := &http.Client{Timeout: 30 * time.Second}
	var g errgroup.Group
	g.SetLimit(8)
	for i := range outlets {
		g.Go(func() error {
			o := &outlets[i]
			req := map[string]string{"id": o.ID}
			if o.Secret != "" {
				req["secret"] = o.Secret
			}
			body, _ := json.Marshal(req)
			hr, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(hubURL, "/")+"/api/v1/outlets", bytes.NewReader(body))
			if err != nil {
				return err
			}
			hr.Header.Set("Authorization", "Bearer "+token)
			hr.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(hr)
			if err != nil {
				return fmt.Errorf("register outlet %s at %s: %w", o.ID, hubURL, err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			var a struct {
				Secret string `json:"secret"`
				Error  struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			_ = json.Unmarshal(raw, &a)
			switch {
			case resp.StatusCode == http.StatusCreated && a.Secret != "" && o.Secret == "":
				o.Secret = a.Secret
				return nil
			case resp.StatusCode == http.StatusCreated && o.Secret != "":
				return nil
			case a.Error.Code == "outlet.exists":
				return fmt.Errorf("register outlet %s: the hub already has it (%s): give the run another --prefix, or a hub with a fresh data directory", o.ID, a.Error.Message)
			case a.Error.Code != "":
				return fmt.Errorf("register outlet %s: %d %s: %s", o.ID, resp.StatusCode, a.Error.Code, a.Error.Message)
			}
			return fmt.Errorf("register outlet %s: %d %q (a hub too old for POST /api/v1/outlets?)", o.ID, resp.StatusCode, raw)
		})
	}
	return g.Wait()
}

// WriteCredentials writes outlets as "id,secret,index" lines, for the
// processes of a run that use the Mosquitto files.
func WriteCredentials(path string, outlets []Outlet) error {
	var b strings.Builder
	for _, o := range outlets {
		fmt.Fprintf(&b, "%s,%s,%d\n", o.ID, o.Secret, o.Index)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// ReadCredentials reads what WriteCredentials wrote, keeping the shard's
// outlets.
func ReadCredentials(path string, sh Shard) ([]Outlet, error) {
	if sh.Of == 0 {
		sh = Shard{0, 1}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Outlet
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		parts := strings.Split(strings.TrimSpace(sc.Text()), ",")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%s:%d: want id,secret,index", path, line)
		}
		i, err := strconv.Atoi(parts[2])
		if err != nil || syncproto.ValidOutletID(parts[0]) != nil || parts[1] == "" {
			return nil, fmt.Errorf("%s:%d: want id,secret,index", path, line)
		}
		if i%sh.Of == sh.Index {
			out = append(out, Outlet{ID: parts[0], Secret: parts[1], Index: i})
		}
	}
	return out, sc.Err()
}

// MosquittoFiles are what WriteMosquittoFiles wrote.
type MosquittoFiles struct {
	PasswordFile, ACLFile, Credentials string
}

// ACL is the broker ACL in the production shape of deploy/mosquitto/acl (a
// test holds them together): an outlet writes its own uplink and reads its
// own downlink and the broadcast tree; hubUser reads and writes all of yz/.
func ACL(hubUser string) string {
	return "# Rules for every authenticated client; %u is the user name (the outlet id).\n" +
		"pattern read yz/v1/broadcast/#\n" +
		"pattern write yz/v1/outlets/%u/up/#\n" +
		"pattern read yz/v1/outlets/%u/down/#\n" +
		"\nuser " + hubUser + "\ntopic readwrite yz/#\n"
}

// WriteMosquittoFiles gives every outlet a new secret and writes, in dir,
// a Mosquitto password file (hashed in one go by mosquitto_passwd -U) with
// the outlets and the hub's user, the ACL, and the credentials file for
// ReadCredentials. Mosquitto then starts with password_file and acl_file
// naming them.
func WriteMosquittoFiles(dir string, outlets []Outlet, hubUser, hubSecret string) (MosquittoFiles, error) {
	mf := MosquittoFiles{PasswordFile: filepath.Join(dir, "passwd"), ACLFile: filepath.Join(dir, "acl"), Credentials: filepath.Join(dir, "outlets.csv")}
	if hubUser == "" || hubSecret == "" || strings.ContainsAny(hubUser+hubSecret, ":\n") {
		return mf, fmt.Errorf("the hub's broker user needs a name and a secret without ':' or line breaks")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return mf, err
	}
	var plain strings.Builder
	fmt.Fprintf(&plain, "%s:%s\n", hubUser, hubSecret)
	for i := range outlets {
		s, err := NewSecret()
		if err != nil {
			return mf, err
		}
		outlets[i].Secret = s
		fmt.Fprintf(&plain, "%s:%s\n", outlets[i].ID, s)
	}
	if err := os.WriteFile(mf.PasswordFile, []byte(plain.String()), 0o600); err != nil {
		return mf, err
	}
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		return mf, fmt.Errorf("mosquitto_passwd is needed to hash the password file: install Debian's mosquitto package: %w", err)
	}
	if out, err := exec.Command(bin, "-U", mf.PasswordFile).CombinedOutput(); err != nil {
		os.Remove(mf.PasswordFile) // never leave the secrets in plain text
		return mf, fmt.Errorf("mosquitto_passwd -U %s: %v\n%s", mf.PasswordFile, err, out)
	}
	if err := os.WriteFile(mf.ACLFile, []byte(ACL(hubUser)), 0o644); err != nil {
		return mf, err
	}
	return mf, WriteCredentials(mf.Credentials, outlets)
}
