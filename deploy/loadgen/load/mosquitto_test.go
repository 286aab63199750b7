package load

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

func login(url, user, pass string) error {
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("t-" + user).
		SetUsername(user).SetPassword(pass).SetAutoReconnect(false).SetConnectRetry(false))
	tok := cl.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return os.ErrDeadlineExceeded
	}
	if err := tok.Error(); err != nil {
		return err
	}
	cl.Disconnect(50)
	return nil
}

// The files WriteMosquittoFiles writes let a real Mosquitto take every
// outlet with its own secret (and the hub with its own), refuse a wrong
// one, and keep no secret in plain text.
func TestMosquittoFilesLetEachOutletIn(t *testing.T) {
	dir := t.TempDir()
	outlets, _ := Outlets("LG", 3, Shard{})
	const hubSecret = "hub-Secret-4f9Kq2Zx7pLm"
	mf, err := WriteMosquittoFiles(dir, outlets, "hub", hubSecret)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := os.ReadFile(mf.PasswordFile)
	for _, o := range outlets {
		if o.Secret == "" || strings.Contains(string(pw), o.Secret) {
			t.Fatalf("outlet %s: secret %q missing or in plain text in the password file", o.ID, o.Secret)
		}
		if !strings.Contains(string(pw), o.ID+":$") {
			t.Fatalf("no hashed entry for %s in\n%s", o.ID, pw)
		}
	}
	if strings.Contains(string(pw), hubSecret) {
		t.Fatal("the hub's secret is in plain text")
	}
	if got, _ := ReadCredentials(mf.Credentials, Shard{}); !slices.Equal(got, outlets) {
		t.Fatalf("credentials file %v, want %v", got, outlets)
	}
	if acl, _ := os.ReadFile(mf.ACLFile); string(acl) != ACL("hub") {
		t.Fatalf("ACL file\n%s", acl)
	}

	m := harness.StartMosquitto(t, harness.MosquittoOptions{PasswordFile: mf.PasswordFile, HubUser: "hub"})
	for _, o := range outlets {
		if err := login(m.URL(), o.ID, o.Secret); err != nil {
			t.Errorf("outlet %s with its secret: %v", o.ID, err)
		}
	}
	if err := login(m.URL(), "hub", hubSecret); err != nil {
		t.Errorf("the hub with its secret: %v", err)
	}
	if err := login(m.URL(), outlets[0].ID, outlets[1].Secret); err == nil {
		t.Error("an outlet got in with another outlet's secret")
	}
	if _, err := WriteMosquittoFiles(t.TempDir(), outlets, "hub", ""); err == nil {
		t.Error("files written without a hub secret")
	}
}
