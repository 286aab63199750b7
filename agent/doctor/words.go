package doctor

import (
	"fmt"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// checkNames are the checks' names as the operator reads them.
var checkNames = map[string][2]string{
	"datafile": {"数据文件", "data file"},
	"disk":     {"磁盘空间", "disk space"},
	"clock":    {"时钟", "clock"},
	"broker":   {"消息代理", "broker"},
	"cert":     {"证书", "certificate"},
	"backup":   {"备份", "backup"},
}

// words are the reasons that are not catalog problems (those are worded
// by the catalog's own halves), Chinese then English, with {param}s.
var words = map[string][2]string{
	"no_data_dir":         {"未指定数据目录，未检查数据文件、磁盘空间和时钟；请加 --data 或 --config", "no data directory given: the data file, disk space and clock were not checked; give --data or --config"},
	"datafile_in_use":     {"正被运行中的 yizhan-agent 使用，它在打开时已检查过；停止它后可再次检查", "in use by the running yizhan-agent, which checked it when it opened it; stop the agent to check it again"},
	"datafile_unreadable": {"无法读取：{detail}", "cannot be read: {detail}"},
	"datafile_none":       {"{path} 尚不存在，代理首次启动时创建", "{path} does not exist yet; the agent creates it at its first start"},
	"datafile_ok":         {"完好：{pages} 页全部读过，{events} 条事件", "sound: all {pages} pages read, {events} events"},
	"disk_unknown":        {"此系统无法读取剩余空间", "free space cannot be read on this system"},
	"disk_unreadable":     {"无法读取 {dir} 的剩余空间：{detail}", "cannot read the free space of {dir}: {detail}"},
	"disk_low":            {"剩余 {free_mb} MB，接近下限 {min_mb} MB，请尽快清理磁盘", "{free_mb} MB free, close to the floor of {min_mb} MB: free some space soon"},
	"disk_ok":             {"剩余 {free_mb} MB（下限 {min_mb} MB）", "{free_mb} MB free (floor {min_mb} MB)"},
	"clock_unreadable":    {"无法得知与总部的时差：{detail}", "the offset from head office's clock cannot be read: {detail}"},
	"clock_unknown":       {"尚未与总部同步过，时差未知", "never synced with head office: the offset is unknown"},
	"clock_ok_agent":      {"与总部相差 {offset}（运行中的代理最近一次测得），允许 {bound}", "{offset} from head office's clock (as the running agent last measured it), within {bound}"},
	"clock_ok_file":       {"上次同步时与总部相差 {offset}，允许 {bound}", "{offset} from head office's clock at the last sync, within {bound}"},
	"broker_unconfigured": {"未配置网点编号或密钥，未检查连接；请加 --config", "no outlet id or secret configured: the link was not checked; give --config"},
	"broker_ok":           {"已以网点 {outlet} 登录 {broker}", "logged in to {broker} as outlet {outlet}"},
	"broker_failed":       {"无法连接 {broker}：{detail}", "cannot connect to {broker}: {detail}"},
	"cert_none":           {"未使用 TLS（连接本机的消息代理）", "no TLS in use (a broker on this machine)"},
	"cert_unreadable":     {"{key} {file} 无法读取：{detail}", "{key} {file} cannot be read: {detail}"},
	"cert_expired":        {"{key} {file} 已于 {date} 过期，连接将被拒绝；请向总部要新证书", "{key} {file} expired on {date}: connections are refused; get a new certificate from head office"},
	"cert_expiring":       {"{key} {file} 将于 {date} 过期（还剩 {days} 天），请向总部要新证书", "{key} {file} expires on {date} ({days} days left): get a new certificate from head office"},
	"backup_none":         {"未配置每晚备份（[backup] dir）；没有备份时，新电脑只能以新数据流开始，需总部执行 yizhan-hub outlet new-incarnation", "no nightly backup configured ([backup] dir): without a backup a replacement PC starts a new incarnation, which head office must accept with yizhan-hub outlet new-incarnation"},
	"backup_unreadable":   {"无法读取备份目录 {dir}：{detail}", "cannot read the backup folder {dir}: {detail}"},
	"backup_missing":      {"{dir} 中还没有本网点的备份；请运行 yizhan-agent backup", "no backup of this outlet in {dir} yet: run yizhan-agent backup"},
	"backup_stale":        {"最新备份 {file} 已有 {age}，每晚备份可能失败了；请查看代理日志（backup）或运行 yizhan-agent backup", "the newest backup {file} is {age} old: the nightly backups may be failing; look in the agent's log (backup) or run yizhan-agent backup"},
	"backup_ok":           {"最新备份 {file}，{age} 前，保留 {kept} 份", "newest backup {file}, {age} old, {kept} kept"},
	"cert_ok":             {"{key} {file} 有效至 {date}（还剩 {days} 天）", "{key} {file} is valid until {date} ({days} days left)"},
}

// say renders the reason key with params kv (name, value pairs).
func say(key string, kv ...any) [2]string {
	w, ok := words[key]
	if !ok {
		panic(fmt.Sprintf("doctor: no words for %q", key))
	}
	params := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		params[kv[i].(string)] = kv[i+1]
	}
	return [2]string{problem.Render(w[0], params), problem.Render(w[1], params)}
}

// halves is a catalog problem's message, one language each.
func halves(e *problem.Error) [2]string {
	zh, en := e.Code().Halves()
	return [2]string{problem.Render(zh, e.Params()), problem.Render(en, e.Params())}
}
