package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/config"
	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// keysNote is what every backup and restore says about what a backup
// does not hold.
const keysNote = "备份不含网点密钥（secret）和个人信息密钥文件（[pii] key_file），请另行妥善保存 / " +
	"a backup holds neither the outlet's secret nor its personal-data key file ([pii] key_file): keep copies of both apart from the PC"

// place is where the backup commands find the data directory, the backup
// folder and the outlet: flags over the settings file.
type place struct {
	data, to, outlet string
}

func readPlace(configFile, data, to, outlet string) (place, error) {
	p := place{data: data, to: to, outlet: outlet}
	if configFile != "" {
		s, err := config.LoadFile(configFile)
		if err != nil {
			return p, err
		}
		if p.data == "" {
			p.data = s.Data.Dir
		}
		if p.to == "" {
			p.to = s.Backup.Dir
		}
		if p.outlet == "" {
			p.outlet = s.Outlet.ID
		}
	}
	if p.data == "" {
		return p, errors.New("give --data DIR or --config FILE with [data] dir")
	}
	return p, nil
}

func cmdBackup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "agent settings file: its [data] dir and [backup] dir")
	data := fs.String("data", "", "the agent's data directory")
	to := fs.String("to", "", "folder to write the backup to (default [backup] dir)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p, err := readPlace(*configFile, *data, *to, "")
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent backup: %v\n", err)
		return 2
	}
	if p.to == "" {
		fmt.Fprintf(stderr, "yizhan-agent backup: %v\n", problem.New(problem.BackupNoDir))
		return 2
	}
	if abs, err := filepath.Abs(p.to); err == nil {
		p.to = abs // the running agent has its own working directory
	}
	res, how, err := takeBackup(p)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "备份已写入并通过检查 / backup written and checked (%s): %s\n", how, res.Path)
	fmt.Fprintf(stdout, "    网点 / outlet %s, 数据流 / incarnation %s, 事件 / events 1..%d, %d bytes\n",
		res.ID.Outlet, res.ID.Incarnation, res.ID.LastSeq, res.Bytes)
	fmt.Fprintln(stdout, "    "+keysNote)
	return 0
}

// takeBackup asks the running agent (bbolt's lock keeps every other
// process out of the file, a read-only one included), or, with none
// running, copies the file read-only itself.
func takeBackup(p place) (backup.Result, string, error) {
	if af, err := staff.ReadAdminFile(p.data); err == nil {
		c := staff.Client{URL: af.URL, Token: af.Token, HTTP: &http.Client{Timeout: 10 * time.Minute}}
		var res backup.Result
		err := c.Do(http.MethodPost, "/api/v1/backup", map[string]string{"to": p.to}, &res)
		if err == nil {
			return res, "由运行中的代理 / by the running agent", nil
		}
		if !problem.Is(err, problem.StaffNoAgent) {
			return res, "", err
		}
		// An admin file left by an agent that died: nobody answers.
	}
	res, err := backup.Take(p.to, func(w io.Writer) (datafile.Identity, int64, error) { return datafile.CopyClosed(p.data, w) }, time.Now())
	if err != nil && errors.Is(err, datafile.ErrInUse) {
		return res, "", fmt.Errorf("%w; the running agent did not answer at the address in %s", err, filepath.Join(p.data, staff.AdminFileName))
	}
	return res, "代理未运行，直接读取 / the agent is not running: read directly", err
}

func cmdRestore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "agent settings file: its [data] dir and [outlet] id")
	data := fs.String("data", "", "the agent's data directory")
	from := fs.String("from", "", "the backup file (yizhan-agent-<outlet>-<time>.bak)")
	outlet := fs.String("outlet", "", "the outlet this PC is (default [outlet] id, or the outlet of the file it replaces)")
	force := fs.Bool("force", false, "take a backup of another outlet: only when this PC is to become that outlet")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" {
		fmt.Fprintln(stderr, "yizhan-agent restore: give --from FILE")
		return 2
	}
	p, err := readPlace(*configFile, *data, "", *outlet)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent restore: %v\n", err)
		return 2
	}
	r, err := backup.Restore(backup.RestoreOptions{From: *from, DataDir: p.data, Outlet: p.outlet, Force: *force})
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent restore: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "已恢复 / restored %s to %s\n", *from, r.Path)
	fmt.Fprintf(stdout, "    网点 / outlet %s, 数据流 / incarnation %s, 事件 / events 1..%d (总部已确认 / acknowledged by head office: 1..%d)\n",
		r.ID.Outlet, r.ID.Incarnation, r.ID.LastSeq, r.ID.AckedSeq)
	if r.Before != "" {
		fmt.Fprintf(stdout, "    原数据文件保留为 / the replaced file is kept as %s\n", r.Before)
	}
	fmt.Fprintln(stdout, "    启动代理后，它从总部补回备份之后的本网点事件，再继续上传 / start the agent: it fetches this outlet's events after the backup back from head office, then syncs on")
	fmt.Fprintln(stdout, "    "+keysNote)
	return 0
}
