package staff

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
	"github.com/yizhan/yizhan/syncproto/problem"
)

// EnvPIN is read by "staff add" when --pin is not given, so the PIN need
// not appear in the process list.
const EnvPIN = "YZ_STAFF_PIN"

const cmdUsage = `Usage:
  yizhan-agent staff add --data DIR --id ID --name NAME [--role clerk|supervisor] [--pin PIN]
  yizhan-agent staff list --data DIR
  yizhan-agent staff remove --data DIR --id ID

Edits the staff list in the agent's data file while the agent is stopped
(a running agent holds the file). A PIN is 4 to 8 digits; without --pin,
"add" reads it from the environment variable ` + EnvPIN + `.
`

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
	if sub != "add" && sub != "list" && sub != "remove" {
		fmt.Fprintf(stderr, "unknown staff command %q\n\n%s", sub, cmdUsage)
		return 2
	}
	flags := flag.NewFlagSet("staff "+sub, flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("data", "", "the agent's data directory (required)")
	var id, name, role, pin *string
	if sub != "list" {
		id = flags.String("id", "", "staff id, e.g. c01 (required)")
	}
	if sub == "add" {
		name = flags.String("name", "", "the name shown on screen and receipts (required)")
		role = flags.String("role", RoleClerk, "clerk or supervisor")
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

	if sub == "add" {
		if *pin == "" {
			*pin = os.Getenv(EnvPIN)
		}
		// Check the input before touching the file, so a typo is a usage
		// error (2) rather than a failure (1).
		if err := validate(NormalizeID(*id), strings.TrimSpace(*name), *role, *pin); err != nil {
			fmt.Fprintf(stderr, "staff add: %v\n", err)
			return 2
		}
	}
	if sub == "remove" && *id == "" {
		fmt.Fprintln(stderr, "staff remove: --id is required")
		return 2
	}

	db, err := openData(*dir, sub == "add")
	if err != nil {
		fmt.Fprintf(stderr, "staff %s: %v\n", sub, err)
		return 1
	}
	defer db.Close()
	st, err := Open(db)
	if err != nil {
		fmt.Fprintf(stderr, "staff %s: %v\n", sub, err)
		return 1
	}

	switch sub {
	case "add":
		err = st.Add(*id, *name, *role, *pin)
		if err == nil {
			fmt.Fprintf(stdout, "已添加 / added %s (%s, %s)\n", NormalizeID(*id), strings.TrimSpace(*name), *role)
		}
	case "remove":
		err = st.Remove(*id)
		if err == nil {
			fmt.Fprintf(stdout, "已删除 / removed %s\n", NormalizeID(*id))
		}
	case "list":
		err = list(stdout, st)
	}
	if err != nil {
		fmt.Fprintf(stderr, "staff %s: %v\n", sub, err)
		return 1
	}
	return 0
}

func list(w io.Writer, st *Store) error {
	all, err := st.List()
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
		if until, locked := st.LockedUntil(s.ID); locked {
			status = "locked until " + until.Local().Format(time.TimeOnly)
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
