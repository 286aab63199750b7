package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yizhan/yizhan/hub/certs"
	"github.com/yizhan/yizhan/syncproto/problem"
)

const certsUsage = `usage:
  yizhan-hub certs ca --dir DIR [--name NAME] [--days 3650] [--force]
  yizhan-hub certs server --dir DIR --name HOST[,IP...] [--days 730] [--force]
  yizhan-hub certs outlet --dir DIR --id OUTLET [--days 730] [--force]   # --force renews and revokes the old one
  yizhan-hub certs revoke --dir DIR --id OUTLET   # a lost or stolen PC: the broker refuses its certificate
  yizhan-hub certs list --dir DIR
  yizhan-hub certs show FILE
`

// cmdCerts makes and lists head office's CA and the broker's and outlets'
// certificates (package certs). Keys are written 0600 and nothing is
// replaced without --force.
func cmdCerts(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "certs: say ca, server, outlet, revoke, list or show\n" + certsUsage}
	}
	fls := flag.NewFlagSet("certs "+args[0], flag.ContinueOnError)
	fls.SetOutput(stderr)
	dir := fls.String("dir", "", "the CA's directory (ca.crt, ca.key and the certificates it issued)")
	days := fls.Int("days", 0, "lifetime in days (default: CA 3650, server and outlet 730)")
	force := fls.Bool("force", false, "replace files that exist (a renewal); without it nothing existing is touched")
	var name, id *string
	switch args[0] {
	case "ca":
		name = fls.String("name", "", `the CA's common name (default "Yizhan head office CA")`)
	case "server":
		name = fls.String("name", "", "host names and IP addresses the outlets reach the broker at, comma-separated (the first is the common name)")
	case "outlet", "revoke":
		id = fls.String("id", "", "outlet id, e.g. SH-001 (the certificate's common name, which the broker checks)")
	case "list":
	case "show":
		if len(args) != 2 || strings.HasPrefix(args[1], "-") {
			return usageError{msg: "certs show needs one FILE\n" + certsUsage}
		}
		in, err := certs.Show(args[1], time.Now())
		if err != nil {
			return err
		}
		printCerts(stdout, []certs.Info{in})
		return nil
	default:
		return usageError{msg: fmt.Sprintf("unknown command: certs %s\n%s", args[0], certsUsage)}
	}
	if err := parse(fls, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return usageError{msg: "certs " + args[0] + " needs --dir DIR"}
	}
	o := certs.Options{Days: *days, Force: *force}
	var f certs.Files
	var err error
	switch args[0] {
	case "ca":
		f, err = certs.NewCA(*dir, *name, o)
	case "server", "outlet":
		var ca *certs.CA
		if ca, err = certs.LoadCA(*dir); err != nil {
			return certsErr(err)
		}
		if args[0] == "server" {
			var names []string
			for _, n := range strings.Split(*name, ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
			f, err = ca.Server(names, o)
		} else {
			f, err = ca.Outlet(*id, o)
		}
	case "revoke":
		ca, err := certs.LoadCA(*dir)
		if err != nil {
			return certsErr(err)
		}
		c, err := ca.Revoke(filepath.Join(*dir, certs.OutletName(*id)+".crt"))
		if err != nil {
			return certsErr(err)
		}
		printRevoked(stdout, *id, c.SerialNumber.Text(16), *dir)
		return nil
	case "list":
		list, err := certs.List(*dir, time.Now())
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return certsErr(problem.New(problem.CertNoCA, "dir", *dir))
		}
		printCerts(stdout, list)
		return nil
	}
	if err != nil {
		return certsErr(err)
	}
	until := f.NotAfter.Format("2006-01-02")
	switch args[0] {
	case "ca":
		fmt.Fprintf(stdout, "CA 已写入 %s（私钥 %s，仅属主可读），有效至 %s；私钥请离线保管\n", f.Cert, f.Key, until)
		fmt.Fprintf(stdout, "CA written to %s (key %s, owner only), valid until %s; keep the key offline\n", f.Cert, f.Key, until)
	case "server":
		fmt.Fprintf(stdout, "服务器证书 %s（私钥 %s）有效至 %s：填入 mqtt.tls_cert 与 mqtt.tls_key，网点的 sync.ca_file 用 %s\n", f.Cert, f.Key, until, certs.CACert)
		fmt.Fprintf(stdout, "server certificate %s (key %s) valid until %s: set mqtt.tls_cert and mqtt.tls_key to them; outlets take %s as sync.ca_file\n", f.Cert, f.Key, until, certs.CACert)
	case "outlet":
		fmt.Fprintf(stdout, "网点 %s 的证书 %s（私钥 %s）有效至 %s：装到该网点电脑，填入 sync.cert_file 与 sync.key_file\n", *id, f.Cert, f.Key, until)
		fmt.Fprintf(stdout, "outlet %s's certificate %s (key %s) valid until %s: install both on that outlet's PC as sync.cert_file and sync.key_file\n", *id, f.Cert, f.Key, until)
		if f.Replaced != nil {
			printRevoked(stdout, *id, f.Replaced.Text(16), *dir)
		}
	}
	return nil
}

func printRevoked(w io.Writer, id, serial, dir string) {
	list := filepath.Join(dir, certs.Revoked)
	fmt.Fprintf(w, "网点 %s 的旧证书（序列号 %s）已吊销并记入 %s：总部的 mqtt.tls_client_revoked 指向该文件时，代理即拒绝旧证书\n", id, serial, list)
	fmt.Fprintf(w, "outlet %s's old certificate (serial %s) is revoked in %s: the broker refuses it once mqtt.tls_client_revoked names that file\n", id, serial, list)
}

// certsErr makes a mistake in what was asked a usage error (exit 2).
func certsErr(err error) error {
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Code().Class() == problem.Invalid {
		return usageError{msg: err.Error()}
	}
	return err
}

func printCerts(w io.Writer, list []certs.Info) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "文件 file\t名称 subject\t用途 use\t到期 expires\t剩余天数 days left\t主机 names\t状态 state")
	for _, in := range list {
		use := "server"
		switch {
		case in.IsCA:
			use = "CA"
		case in.Client:
			use = "outlet"
		}
		state := "正常 ok"
		switch in.Problem {
		case "":
		case "expired":
			state = "已过期 expired"
		case "revoked":
			state = "已吊销 revoked"
		case "not yet valid":
			state = "尚未生效 not yet valid"
		default:
			state = "非本 CA 签发 " + in.Problem
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", in.File, in.Subject, use, in.NotAfter.Format("2006-01-02"), in.DaysLeft, strings.Join(in.Names, ","), state)
	}
	tw.Flush()
}
