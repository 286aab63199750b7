package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/config"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The user command edits head office's accounts in the store, as outlet
// add does outlets: offline, or while the hub runs (the store is shared).
//
//	yizhan-hub user add     --id ID --name NAME --role ROLE [--password-file FILE|-]
//	yizhan-hub user list
//	yizhan-hub user disable|enable|unlock --id ID
//	yizhan-hub user reset   --id ID [--password-file FILE|-]
//
// Each takes --data DIR, --store URL or --config hub.toml for the store.
// A password is never an argument (it would be in the shell's history and
// in ps): add and reset read it from --password-file (- for standard
// input: its first line) or, on a terminal, from a prompt, twice.

// stdin is the command's standard input; tests replace it.
var stdin io.Reader = os.Stdin

func userSubcommands() string {
	return "add, list, disable, enable, reset or unlock"
}

func cmdUser(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"user: say " + userSubcommands(), true}
	}
	sub := args[0]
	switch sub {
	case "add", "list", "disable", "enable", "reset", "unlock":
	default:
		return usageError{fmt.Sprintf("unknown command: user %s", sub), true}
	}
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the hub's data directory (works while the hub runs)")
	storeURL := fs.String("store", "", "store URL: sqlite:///path/hub.db or postgres://user:password@host:5432/database (default sqlite://DIR/hub.db)")
	cfgFile := fs.String("config", "", "the hub's settings file, for data.dir and store.url")
	var id, name, role, pwFile *string
	if sub != "list" {
		id = fs.String("id", "", "account id: 1 to 32 lower-case letters, digits, '.', '-' or '_'")
	}
	if sub == "add" {
		name = fs.String("name", "", "the person's name as the screen shows it")
		role = fs.String("role", "", "role: "+strings.Join(roleNames(), ", "))
	}
	if sub == "add" || sub == "reset" {
		pwFile = fs.String("password-file", "", "read the password from this file's first line (- for standard input); default: ask on the terminal")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *cfgFile != "" {
		l, err := config.Parse([]string{"--config", *cfgFile}, os.LookupEnv, stderr)
		if err != nil {
			return usageError{msg: err.Error()}
		}
		if *dataDir == "" {
			*dataDir = l.Data.Dir
		}
		if *storeURL == "" {
			*storeURL = l.Store.URL
		}
	}
	if id != nil && *id == "" {
		return usageError{msg: "--id is required"}
	}
	var password string
	if pwFile != nil {
		if sub == "add" && (*name == "" || *role == "") {
			return usageError{msg: "--name and --role are required"}
		}
		var err error
		if password, err = readPassword(*pwFile, stderr); err != nil {
			return err
		}
		// Refuse a weak password before touching the store.
		if err := accounts.CheckPassword(accounts.NormalizeID(*id), password); err != nil {
			return usageError{msg: words(err)}
		}
	}
	st, err := openStore(*dataDir, *storeURL, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := accounts.New(accounts.Options{Store: st})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The command is an administrator at the machine; a disable names
	// nobody as "by", since it is not an account disabling itself.
	switch sub {
	case "list":
		as, err := svc.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tDISABLED\tLAST_LOGIN\tLOCKED_UNTIL")
		for _, a := range as {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\n", a.ID, a.Name, a.Role, a.Disabled, orDash(a.LastLoginAt), orDash(a.LockedUntil))
		}
		return tw.Flush()
	case "add":
		_, err = svc.Add(ctx, *id, *name, *role, password)
	case "disable", "enable":
		_, err = svc.SetDisabled(ctx, *id, sub == "disable", "")
	case "reset":
		_, err = svc.Reset(ctx, *id, password)
	case "unlock":
		_, err = svc.Unlock(ctx, *id)
	}
	if err != nil {
		if problem.As(err) != nil {
			return errors.New(words(err))
		}
		return err
	}
	// The change is an administrator's action like any through the API:
	// in the audit trail, as the machine's user who ran the command.
	who := "cli"
	if u, err := user.Current(); err == nil {
		who = "cli:" + u.Username
	}
	if err := svc.Audit(ctx, accounts.Caller{Account: who, Role: accounts.RoleAdmin}, "user "+sub, "account/"+accounts.NormalizeID(*id), "", ""); err != nil {
		return fmt.Errorf("done, but not written to the audit trail: %w", err)
	}
	fmt.Fprintf(stdout, "user %s: %s done\n", accounts.NormalizeID(*id), sub)
	return nil
}

func roleNames() []string {
	var out []string
	for _, r := range accounts.Roles {
		out = append(out, string(r))
	}
	return out
}

func orDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// words is an error as the catalog words it, in Chinese and English.
func words(err error) string {
	if p := problem.As(err); p != nil {
		return p.Error()
	}
	return err.Error()
}

// readPassword reads a password from file ("-": standard input), or asks
// twice on the terminal without echo.
func readPassword(file string, stderr io.Writer) (string, error) {
	if file != "" {
		var r io.Reader = stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return "", usageError{msg: "--password-file: " + err.Error()}
			}
			defer f.Close()
			r = f
		}
		line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usageError{msg: "no terminal to ask for the password on: pass --password-file FILE, or --password-file - and the password on standard input"}
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	p1, err := ask("密码 / password: ")
	if err != nil {
		return "", err
	}
	p2, err := ask("再输一次 / again: ")
	if err != nil {
		return "", err
	}
	if p1 != p2 {
		return "", usageError{msg: "两次输入的密码不同 / the two passwords differ"}
	}
	return p1, nil
}
