package tokens

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/syncproto/problem"
)

const cmdUsage = `Usage:
  yizhan-agent token add --data DIR --name NAME --scope scans|read[,...]
  yizhan-agent token list --data DIR
  yizhan-agent token revoke --data DIR --name NAME

API tokens let a local integration into the agent's HTTP API without a
staff login: scope "scans" may post scans (POST /api/v1/scans), scope "read"
may read the sync and device status. "add" prints the token on the first
line: it is shown only then. A client sends it as
"Authorization: Bearer TOKEN". Events a token causes carry the actor
"token:NAME". While the agent runs (it holds the data file), the command
goes through the running agent with the token it writes to
DIR/` + staff.AdminFileName + `; each command says which it did.
`

// admin is what the command does to the list: *Store directly in the data
// file, or *Client through the running agent.
type admin interface {
	Add(name string, scopes []string) (string, Token, error)
	List() ([]Token, error)
	Revoke(name string) error
}

var (
	_ admin = (*Store)(nil)
	_ admin = (*Client)(nil)
)

// Command runs "yizhan-agent token ...". Exit codes: 0 done, 1 failed,
// 2 wrong usage.
func Command(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, cmdUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, cmdUsage)
		return 0
	case "add", "list", "revoke":
	default:
		fmt.Fprintf(stderr, "unknown token command %q\n\n%s", sub, cmdUsage)
		return 2
	}
	flags := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("data", "", "the agent's data directory (required)")
	var name, scope *string
	if sub != "list" {
		name = flags.String("name", "", "the token's name, e.g. sorter-1 (required)")
	}
	if sub == "add" {
		scope = flags.String("scope", "", "what it may do: scans, read, or both as scans,read (required)")
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "token %s: unexpected argument %q\n", sub, flags.Arg(0))
		return 2
	}
	if *dir == "" {
		fmt.Fprintf(stderr, "token %s: --data is required\n", sub)
		return 2
	}
	var scopes []string
	if name != nil {
		if err := ValidName(NormalizeName(*name)); err != nil {
			fmt.Fprintf(stderr, "token %s: --name: %v\n", sub, err)
			return 2
		}
	}
	if scope != nil {
		var err error
		if scopes, err = ParseScopes(*scope); err != nil {
			fmt.Fprintf(stderr, "token add: --scope: %v\n", err)
			return 2
		}
	}

	st, where, done, err := openAdmin(*dir, sub == "add")
	if err != nil {
		fmt.Fprintf(stderr, "token %s: %v\n", sub, err)
		return 1
	}
	defer done()
	switch sub {
	case "add":
		secret, t, err := st.Add(*name, scopes)
		if err != nil {
			fmt.Fprintf(stderr, "token add: %v (%s)\n", err, where)
			return 1
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stdout, "已添加令牌 / added token %s (%s), %s: keep it now, it is not shown again\n", t.Name, strings.Join(t.Scopes, ","), where)
	case "revoke":
		if err := st.Revoke(*name); err != nil {
			fmt.Fprintf(stderr, "token revoke: %v (%s)\n", err, where)
			return 1
		}
		fmt.Fprintf(stdout, "已吊销 / revoked token %s, %s\n", NormalizeName(*name), where)
	case "list":
		all, err := st.List()
		if err != nil {
			fmt.Fprintf(stderr, "token list: %v (%s)\n", err, where)
			return 1
		}
		if len(all) == 0 {
			fmt.Fprintln(stdout, "没有令牌 / no tokens yet: add one with yizhan-agent token add")
		} else {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCOPES\tCREATED")
			for _, t := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, strings.Join(t.Scopes, ","), t.CreatedAt.Local().Format(time.DateTime))
			}
			tw.Flush()
		}
		fmt.Fprintln(stdout, where)
	}
	return 0
}

// openAdmin opens the list directly in the data file or, while a running
// agent holds it, through that agent.
func openAdmin(dir string, create bool) (st admin, where string, done func(), err error) {
	path := filepath.Join(dir, datafile.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, "", nil, problem.New(problem.StaffNoDataFile, "path", path)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", nil, fmt.Errorf("create data directory %s: %w", dir, err)
		}
	}
	f, err := datafile.Open(dir, datafile.Options{})
	if err == nil {
		return Open(f), "directly in " + path, func() { f.Close() }, nil
	}
	if !errors.Is(err, datafile.ErrInUse) {
		return nil, "", nil, err
	}
	af, aerr := staff.ReadAdminFile(dir)
	if aerr != nil {
		return nil, "", nil, problem.Wrap(err, problem.StaffDataFileInUse, "path", path)
	}
	return &Client{staff.Client{URL: af.URL, Token: af.Token}}, "via the running agent at " + strings.TrimPrefix(af.URL, "http://"), func() {}, nil
}
