package staff

import (
	"context"
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
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// EnvPIN is read by "staff add" when --pin is not given, so the PIN need
// not appear in the process list.
const EnvPIN = "YZ_STAFF_PIN"

const cmdUsage = `Usage:
  yizhan-agent staff add --data DIR --id ID --name NAME [--role clerk|supervisor] [--pin PIN]
  yizhan-agent staff list --data DIR
  yizhan-agent staff remove|disable|enable|unlock --data DIR --id ID
  yizhan-agent staff pin --data DIR --id ID [--pin PIN]

Edits the staff list in the agent's data file. While the agent runs (it
holds the file), the command goes through the running agent instead, with
the token the agent writes to DIR/` + AdminFileName + `; each command says
which it did. A PIN is 4 to 8 digits; without --pin, "add" and "pin" read
it from the environment variable ` + EnvPIN + `.
`

// subcommands, and whether each names a member (--id) and takes a PIN.
var subcommands = map[string]struct{ id, pin bool }{
	"add": {true, true}, "list": {false, false}, "remove": {true, false},
	"disable": {true, false}, "enable": {true, false}, "unlock": {true, false}, "pin": {true, true},
}

// admin is what the command does to the staff list: *Store directly in the
// data file, or *Client through the running agent.
type admin interface {
	Add(id, name, role, pin string) error
	Remove(id string) error
	SetDisabled(id string, disabled bool) error
	Unlock(id string) error
	SetPIN(id, pin string) error
	Members() ([]Member, error)
}

// Command runs "yizhan-agent staff ...". Exit codes: 0 done, 1 failed (file
// in use, id exists or unknown), 2 wrong usage.
func Command(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, cmdUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	if sub == "help" || sub == "-h" || sub == "--help" {
		fmt.Fprint(stdout, cmdUsage)
		return 0
	}
	spec, ok := subcommands[sub]
	if !ok {
		fmt.Fprintf(stderr, "unknown staff command %q\n\n%s", sub, cmdUsage)
		return 2
	}
	flags := flag.NewFlagSet("staff "+sub, flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("data", "", "the agent's data directory (required)")
	var id, name, role, pin *string
	if spec.id {
		id = flags.String("id", "", "staff id, e.g. c01 (required)")
	}
	if sub == "add" {
		name = flags.String("name", "", "the name shown on screen and receipts (required)")
		role = flags.String("role", RoleClerk, "clerk or supervisor")
	}
	if spec.pin {
		pin = flags.String("pin", "", "4 to 8 digits (or env "+EnvPIN+")")
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "staff %s: unexpected argument %q\n", sub, flags.Arg(0))
		return 2
	}
	if *dir == "" {
		fmt.Fprintf(stderr, "staff %s: --data is required\n", sub)
		return 2
	}

	if spec.pin && *pin == "" {
		*pin = os.Getenv(EnvPIN)
	}
	// Check the input before touching the file, so a typo is a usage
	// error (2) rather than a failure (1).
	switch {
	case sub == "add":
		if err := validate(NormalizeID(*id), strings.TrimSpace(*name), *role, *pin); err != nil {
			fmt.Fprintf(stderr, "staff add: %v\n", err)
			return 2
		}
	case spec.id && *id == "":
		fmt.Fprintf(stderr, "staff %s: --id is required\n", sub)
		return 2
	case sub == "pin":
		if err := ValidPIN(*pin); err != nil {
			fmt.Fprintf(stderr, "staff pin: %v\n", err)
			return 2
		}
	}

	st, where, done, err := openAdmin(*dir, sub == "add")
	if err != nil {
		fmt.Fprintf(stderr, "staff %s: %v\n", sub, err)
		return 1
	}
	defer done()

	var msg string
	switch sub {
	case "add":
		err = st.Add(*id, *name, *role, *pin)
		msg = fmt.Sprintf("已添加 / added %s (%s, %s)", NormalizeID(*id), strings.TrimSpace(*name), *role)
	case "remove":
		err = st.Remove(*id)
		msg = "已删除 / removed " + NormalizeID(*id)
	case "disable":
		err = st.SetDisabled(*id, true)
		msg = "已停用 / disabled " + NormalizeID(*id)
	case "enable":
		err = st.SetDisabled(*id, false)
		msg = "已启用 / enabled " + NormalizeID(*id)
	case "unlock":
		err = st.Unlock(*id)
		msg = "已解锁 / unlocked " + NormalizeID(*id)
	case "pin":
		err = st.SetPIN(*id, *pin)
		msg = "已更改 PIN / PIN changed for " + NormalizeID(*id)
	case "list":
		err = list(stdout, st)
	}
	if err != nil {
		fmt.Fprintf(stderr, "staff %s: %v (%s)\n", sub, err, where)
		return 1
	}
	if msg != "" {
		fmt.Fprintf(stdout, "%s, %s\n", msg, where)
	} else {
		fmt.Fprintln(stdout, where)
	}
	return 0
}

// openAdmin opens the staff list directly in the data file or, while a
// running agent holds it, through that agent. where says which, for the
// user; done releases what was opened.
func openAdmin(dir string, create bool) (st admin, where string, done func(), err error) {
	db, err := openData(dir, create)
	if err == nil {
		s, err := Open(db)
		if err != nil {
			db.Close()
			return nil, "", nil, err
		}
		return offline{s, db}, "directly in " + filepath.Join(dir, datafile.FileName), func() { db.Close() }, nil
	}
	if !errors.Is(err, datafile.ErrInUse) {
		return nil, "", nil, err
	}
	af, aerr := ReadAdminFile(dir)
	if aerr != nil {
		// An agent that writes no admin file (an older one, or the file
		// held by something else): say to stop it, as before.
		return nil, "", nil, err
	}
	c := &Client{URL: af.URL, Token: af.Token}
	return c, "via the running agent at " + strings.TrimPrefix(af.URL, "http://"), func() {}, nil
}

// offline is the staff list in a stopped agent's data file. An unlock is
// an audit event there too, in the file's event log: the agent sends it to
// head office when it runs again.
type offline struct {
	*Store
	db *datafile.File
}

func (o offline) Unlock(id string) error {
	if err := o.Store.Unlock(id); err != nil {
		return err
	}
	if o.db.Outlet() == "" { // no agent has run on the file: no log to sync
		return nil
	}
	l, err := eventlog.Open(o.db, eventlog.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	_, err = l.Append(context.Background(), unlockDraft(LocalAdmin, id, o.now()))
	return err
}

func list(w io.Writer, st admin) error {
	all, err := st.Members()
	if err != nil {
		return err
	}
	if len(all) == 0 {
		fmt.Fprintln(w, "没有员工 / no staff yet: add one with yizhan-agent staff add")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// The name goes last: tabwriter counts a Chinese character as one
	// column, though it takes two on screen.
	fmt.Fprintln(tw, "ID\tROLE\tSTATUS\tNAME")
	for _, s := range all {
		status := "ok"
		switch {
		case s.Disabled:
			status = "disabled"
		case !s.LockedUntil.IsZero():
			status = "locked until " + s.LockedUntil.Local().Format(time.TimeOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, s.Role, status, s.Name)
	}
	return tw.Flush()
}

// openData opens the agent's data file without claiming it for an outlet;
// it fails at once while the agent runs.
func openData(dir string, create bool) (*datafile.File, error) {
	path := filepath.Join(dir, datafile.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, problem.New(problem.StaffNoDataFile, "path", path)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", dir, err)
		}
	}
	f, err := datafile.Open(dir, datafile.Options{})
	if errors.Is(err, datafile.ErrInUse) {
		return nil, problem.Wrap(err, problem.StaffDataFileInUse, "path", path)
	}
	return f, err
}
