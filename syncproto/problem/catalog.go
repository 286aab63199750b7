package problem

// The catalog: every error a person may see, and the only place a Code can
// be made. To add one, add a line here and the entry "error.<code>" to both
// screen dictionaries (agent/ui/static/i18n/zh.js and en.js; a test lists
// what is missing).
//
// Rules, enforced by catalog_test.go: a code is "area.name" in lower case;
// the fallback is "中文 / English" with exactly one " / "; both halves use
// the same {param} names; the class decides the HTTP status. Parameters are
// named for what they hold (waybill, id, state, allowed…) so the screen can
// format them; list parameters are string lists.
//
// Codes are stable: screens, tests and logs key on them. Rename one only
// together with the dictionaries.

var catalog []Code

func def(id string, class Class, fallback string) Code {
	c := Code{&entry{id: id, class: class, fallback: fallback}}
	catalog = append(catalog, c)
	return c
}

// Catalog lists every code in declaration order.
func Catalog() []Code { return append([]Code(nil), catalog...) }

// Lookup finds a code by its machine string.
func Lookup(id string) (Code, bool) {
	for _, c := range catalog {
		if c.e.id == id {
			return c, true
		}
	}
	return Code{}, false
}

// Internal, requests and routes.
var (
	InternalError       = def("internal.error", Internal, "内部错误，详见日志 / internal error: see the log")
	RequestMalformed    = def("request.malformed", Invalid, "请求不是有效的 JSON（第 {offset} 字节） / the request body is not valid JSON (at byte {offset})")
	RequestUnknownField = def("request.unknown_field", Invalid, "请求含未知字段 {field}，请检查拼写 / the request has an unknown field \"{field}\": check its spelling")
	RequestWrongType    = def("request.wrong_type", Invalid, "字段 {field} 的类型不对，应为 {want} / field \"{field}\" must be a JSON {want}")
	RequestTooLarge     = def("request.too_large", TooLarge, "请求过大，上限 {limit} 字节 / the request body is over its limit of {limit} bytes")
	RequestUnreadable   = def("request.unreadable", Invalid, "请求未能读完，请重试 / the request body could not be read: send it again")
	RequestBadLimit     = def("request.bad_limit", Invalid, "limit 须为 1–{max} / limit must be 1 to {max}")
	RequestBadOpen      = def("request.bad_open", Invalid, "open 须为 1 或 0 / open must be 1 or 0")
	RequestBadOverdue   = def("request.bad_overdue", Invalid, "overdue 须为 1 或 0 / overdue must be 1 or 0")
	// A filter silently ignored returns a list its caller believes filtered.
	RequestUnknownFilter = def("request.unknown_filter", Invalid, "不认识查询参数 {filter}，此处可用 {known} / unknown query parameter \"{filter}\": this route takes {known}")
	RequestBadFlag       = def("request.bad_flag", Invalid, "{field} 须为 1 或 0 / {field} must be 1 or 0")
	RequestBadCursor     = def("request.bad_cursor", Invalid, "cursor 不是本列表在这些条件下给出的，请从第一页重新查询 / the cursor is not one this list gave for these filters: start again from the first page")
	RequestBadFormat     = def("request.bad_format", Invalid, "format 须为 json 或 csv / format must be json or csv")
	RequestBadLang       = def("request.bad_lang", Invalid, "lang 须为 zh 或 en / lang must be zh or en")
	RequestBadSort       = def("request.bad_sort", Invalid, "sort 须为 {allowed} 之一 / sort must be one of {allowed}")
	RequestBadValue      = def("request.bad_value", Invalid, "{filter} 的值 {value} 不可用，可用 {allowed} / {filter} \"{value}\" is not one of {allowed}")
	RequestBulkIDs       = def("request.bulk_ids", Invalid, "ids 须有 1–{max} 个不重复的编号 / ids must hold 1 to {max} different ids")
	RequestBadTime       = def("request.bad_time", Invalid, "{field} 的值 {value} 不是 RFC 3339 时间 / {field} \"{value}\" must be an RFC 3339 time such as 2025-07-01T08:00:00+08:00")
	APINoRoute           = def("api.no_route", NotFound, "接口不存在：{method} {path} / no such API route: {method} {path}")
	APINotFound          = def("api.not_found", NotFound, "未找到 / not found")
)

// Logging in, tokens and roles.
var (
	AuthTokenRequired      = def("auth.token_required", Unauthorized, "缺少或错误的 API 令牌 / missing or wrong API token: send Authorization: Bearer <token>")
	AuthLoginRequired      = def("auth.login_required", Unauthorized, "请先登录 / log in first")
	AuthSupervisorRequired = def("auth.supervisor_required", Forbidden, "需要主管权限：当前登录的是 {staff}（{role}），请主管登录后操作 / this needs a supervisor; you are logged in as {staff} ({role}): ask a supervisor to log in and do it")
	AuthClerkRequired      = def("auth.clerk_required", Forbidden, "需要店员权限：当前登录的是 {staff}（{role}），请店员登录后操作 / this needs a clerk; you are logged in as {staff} ({role}): ask a clerk to log in and do it")
)

// Staff, their PINs and the staff list.
var (
	StaffBadCredentials  = def("staff.bad_credentials", Unauthorized, "工号或 PIN 不对 / wrong staff id or PIN: check both and try again")
	StaffPINWrong        = def("staff.pin_wrong", Unauthorized, "工号或 PIN 不对，再错 {left} 次将锁定 {lock_for} / wrong staff id or PIN: {left} more wrong PINs lock this id for {lock_for}")
	StaffLocked          = def("staff.locked", TooMany, "工号 {id} 连续 {failures} 次 PIN 错误已锁定，请在 {until}（{left} 后）再试 / staff id {id} is locked after {failures} wrong PINs in a row: try again after {until} (in {left})")
	StaffNotFound        = def("staff.not_found", NotFound, "没有工号 {id} / no such staff id {id}: see the list of staff")
	StaffExists          = def("staff.exists", Conflict, "工号 {id} 已存在 / staff id {id} already exists: remove it first or choose another id")
	StaffBadPIN          = def("staff.bad_pin", Invalid, "PIN 应为 4–8 位数字 / a PIN is 4 to 8 digits: choose another")
	StaffBadRole         = def("staff.bad_role", Invalid, "角色只能是 clerk 或 supervisor，不能是 {role} / role must be clerk or supervisor, not \"{role}\"")
	StaffBadID           = def("staff.bad_id", Invalid, "工号应为 1–32 个字母、数字、点、横线或下划线 / a staff id is 1 to 32 letters, digits, '.', '-' or '_'")
	StaffBadName         = def("staff.bad_name", Invalid, "姓名应为 1–32 个字 / a name is 1 to 32 characters, with no control characters")
	StaffLoginMissing    = def("staff.login_missing", Invalid, "请输入工号和 PIN / enter your staff id and PIN")
	StaffLoginFailed     = def("staff.login_failed", Unavailable, "暂时无法登录，请重试 / could not check the PIN: try again; if it persists, run yizhan-agent doctor")
	StaffSchemaNewer     = def("staff.schema_newer", Internal, "员工数据版本 {version} 过新（本程序为 {supported}） / the staff list has schema version {version}, newer than this agent's {supported}: install the newer agent")
	StaffPINRecord       = def("staff.pin_record", Internal, "PIN 记录无法识别（{alg}，{iter} 次） / stored PIN record ({alg}, {iter} iterations) is not one this agent reads: remove the staff member and add them again")
	StaffRecordDamaged   = def("staff.record_damaged", Internal, "员工记录 {id} 损坏 / staff record {id} is damaged: remove it and add the staff member again")
	StaffNoDataFile      = def("staff.no_data_file", Invalid, "找不到数据文件 {path} / no agent data file at {path}: check --data")
	StaffDisabled        = def("staff.disabled", Forbidden, "工号 {id} 已停用，请联系主管 / staff id {id} is disabled: ask a supervisor to enable it")
	StaffSelf            = def("staff.self", Conflict, "不能停用或删除自己的工号 {id} / you cannot disable or remove your own staff id {id}: ask another supervisor")
	StaffNoAgent         = def("staff.no_agent", Unavailable, "无法连接运行中的 yizhan-agent（{url}） / could not reach the running yizhan-agent at {url}: check that it runs, or stop it and run this again")
	StaffAdminToken      = def("staff.admin_token", Unauthorized, "本机管理令牌无效 / the local admin token was refused: restart the agent, which writes a new one")
	StaffDataFileInUse   = def("staff.data_file_in_use", Conflict, "数据文件 {path} 正被运行中的 yizhan-agent 使用 / {path} is in use by a running yizhan-agent: stop the agent first, then run this again")
	StaffClientLimited   = def("staff.client_limited", TooMany, "这台电脑 PIN 错误次数过多（{failures} 次），请在 {until}（{left} 后）再试，或请主管运行 yizhan-agent staff unlock / too many wrong PINs from this computer ({failures}): try again after {until} (in {left}), or have a supervisor run yizhan-agent staff unlock")
	AgentNoKey           = def("agent.no_key", Unavailable, "个人信息密钥未配置 / no personal-data key is configured: start the agent with --pii-key-file")
	AgentNotSaved        = def("agent.not_saved", Unavailable, "未保存，请重试 / not saved: try again; if it persists, run yizhan-agent doctor")
	PersonalSupervisor   = def("personal.supervisor_only", Forbidden, "仅主管可查看完整信息 / only a supervisor may see the full value")
	PersonalUnknownKind  = def("personal.unknown_kind", Invalid, "未知类型 {kind} / unknown kind \"{kind}\"")
	PersonalFieldMissing = def("personal.no_field", NotFound, "没有记录 {field} / no {field} on record")
)

// Personal data: phones, identity numbers, the sealing key.
var (
	PhoneInvalid      = def("phone.invalid", Invalid, "手机号格式不对 / not a mainland mobile number")
	PhoneEmpty        = def("phone.empty", Invalid, "手机号为空 / the phone number is empty: enter the 11-digit mobile number")
	PhoneLength       = def("phone.length", Invalid, "手机号应为 11 位数字（现为 {length} 位） / want 11 digits starting with 13–19, got {length} characters: check the number")
	PhonePrefix       = def("phone.prefix", Invalid, "手机号应以 13–19 开头 / a mobile number starts with 13–19: check the number")
	ResidentIDLength  = def("resident_id.length", Invalid, "身份证号应为 18 位 / a resident identity number has 18 characters")
	ResidentIDChars   = def("resident_id.chars", Invalid, "身份证号前 17 位应为数字，末位为数字或 X / the first 17 characters must be digits and the last a digit or X")
	ResidentIDRegion  = def("resident_id.region", Invalid, "身份证号地址码无效 / the region code (first 6 digits) is all zeros")
	ResidentIDBirth   = def("resident_id.birth", Invalid, "身份证号出生日期无效 / the birth date (digits 7–14) is not a real date between 1900-01-01 and today")
	ResidentIDCheck   = def("resident_id.check", Invalid, "身份证号校验码不符 / the check character does not match: a digit was probably mistyped")
	PIIUnknownVersion = def("pii.unknown_version", Unavailable, "未知的加密格式 / unknown sealed format: this release reads v1 and v2 values; upgrade the agent")
	PIIWrongKey       = def("pii.wrong_key", Unavailable, "密钥不符 / value was sealed with another key (of another outlet or installation): configure the key file head office issued for this outlet")
	PIITampered       = def("pii.tampered", Unavailable, "数据已损坏或被改动 / sealed value fails authentication: it was altered, damaged, or sealed as another kind of field; restore it from a backup")
	PIIMalformed      = def("pii.malformed", Unavailable, "加密数据格式错误 / sealed value is malformed: it was truncated or is not a sealed value")
	PIIUnknownKind    = def("pii.unknown_kind", Invalid, "未知的字段类型 / unknown personal-data kind: use phone, name, id_number, address, text or confirmation")
	PIIKeySize        = def("pii.key_size", Internal, "密钥长度不对（{size} 字节，应为 {want}） / the personal-data key is {size} bytes, want {want}: use a key made by yizhan-agent keygen or issued by head office")
	PIIKeyNotBase64   = def("pii.key_not_base64", Internal, "密钥不是 base64 / the key is not base64: use the outlet key file head office issued, or one line of base64 encoding 32 random bytes")
	PIIKeyMissing     = def("pii.key_missing", Internal, "找不到个人数据密钥文件 {path} / personal-data key file {path} not found: install the key file head office issued for this outlet (yizhan-hub outlet key)")
	PIIKeyUnreadable  = def("pii.key_unreadable", Internal, "读取密钥文件 {path} 失败 / cannot read key file {path}")
	PIIKeyIsDir       = def("pii.key_is_dir", Internal, "密钥文件 {path} 是目录 / key file {path} is a directory: give the path of the key file itself")
	PIIKeyMode        = def("pii.key_mode", Internal, "密钥文件 {path} 权限过宽（{mode}），请运行 chmod 600 {path} / key file {path} can be read by other users (mode {mode}): run chmod 600 {path}")
	PIIKeyEnvUnset    = def("pii.key_env_unset", Internal, "未设置 {env} / {env} is not set: set it to the content of the key file head office issued, or use a key file")
	PIIKeyExists      = def("pii.key_exists", Conflict, "密钥文件 {path} 已存在 / key file {path} already exists: keep it (data sealed with it cannot be read without it), or move it away first")
	PIIKeyCreate      = def("pii.key_create", Internal, "创建密钥文件 {path} 失败 / cannot create key file {path}")
	PIIKeyWrite       = def("pii.key_write", Internal, "写入密钥文件 {path} 失败 / cannot write key file {path}")
	// Per-outlet keys: head office issues each outlet its own key file.
	PIIKeyFileMalformed = def("pii.key_file_malformed", Internal, "网点密钥文件有误（{field}） / the outlet key file is malformed ({field}): use the file yizhan-hub outlet key wrote for this outlet")
	PIIKeyOutlet        = def("pii.key_outlet", Internal, "密钥文件属于网点 {found}，本网点是 {outlet} / the key file is outlet {found}'s, this outlet is {outlet}: use the key file head office issued for this outlet")
	PIILegacyKey        = def("pii.legacy_key", Unavailable, "此数据用旧的共享密钥加密，本网点密钥无法打开，需由总部查看 / this value is sealed under the old shared key, which this outlet no longer holds: head office can open it")
)

// Barcodes and scans. The barcode codes mirror devices/barcode's Code.
var (
	ScanUnknownAction   = def("scan.unknown_action", Invalid, "未知操作 {action}，可用：{allowed} / unknown action \"{action}\": allowed: {allowed}")
	BarcodeMisread      = def("barcode.misread", Invalid, "条码校验位错误 / check digit wrong: misread, scan again")
	BarcodeBadCountry   = def("barcode.bad_country", Invalid, "运单号国家代码无效 / country code in the item number is not valid: misread, scan again")
	BarcodeEmpty        = def("barcode.empty", Invalid, "条码为空 / empty read: scan again")
	BarcodeControl      = def("barcode.control", Invalid, "条码含控制字符 / read contains control characters: line noise, scan again")
	BarcodeBinary       = def("barcode.binary", Invalid, "条码不是文本 / read is not text: line noise or wrong baud rate, check scanner settings")
	BarcodeOverlong     = def("barcode.overlong", Invalid, "条码过长 / read too long: missing suffix or two codes run together, scan again")
	BarcodeFraming      = def("barcode.framing", Invalid, "扫描数据不完整 / broken frame: partial read, scan again")
	BarcodeGS1          = def("barcode.gs1_syntax", Invalid, "GS1 条码格式错误 / GS1 data malformed: scan again or check the keyboard layout setting")
	BarcodeGS1UnknownAI = def("barcode.gs1_unknown_ai", Invalid, "GS1 应用标识符未知 / unknown GS1 application identifier: scan again")
	BarcodeWaybillChars = def("barcode.waybill_chars", Invalid, "运单号 {waybill} 第 {position} 个字符“{char}”不能用：运单号只能有字母、数字和“-”（{allowed}） / waybill \"{waybill}\" cannot hold character {position}, \"{char}\": a waybill has only letters, digits and '-' ({allowed}); check the number")
	BarcodeRejected     = def("barcode.rejected", Invalid, "条码无法识别 / the read is not a barcode this outlet accepts: scan again")
)

// Parcels at the counter: in, on the shelf, picked up, refused.
var (
	ParcelNotFound       = def("parcel.not_found", NotFound, "没有运单 {waybill} 的记录 / no record of waybill {waybill}")
	ParcelInStock        = def("parcel.in_stock", Conflict, "运单 {waybill} 已在库，取件码 {code} / parcel {waybill} is already in stock (pickup code {code})")
	ParcelNotShelved     = def("parcel.not_shelved", Conflict, "运单 {waybill} 已入库但未上架，请上架 / parcel {waybill} was taken in but is not on a shelf yet: shelve it")
	ParcelPickedUp       = def("parcel.picked_up", Conflict, "运单 {waybill} 已被取走 / parcel {waybill} was already picked up")
	ParcelOutForDelivery = def("parcel.out_for_delivery", Conflict, "运单 {waybill} 已由 {courier} 派送中 / parcel {waybill} is already out with courier {courier}")
	ParcelDelivered      = def("parcel.delivered", Conflict, "运单 {waybill} 已投递 / parcel {waybill} was already delivered")
	ParcelWrongBatch     = def("parcel.wrong_batch", Conflict, "运单 {waybill} 派送于批次 {batch}，不是 {other} / parcel {waybill} is out in batch {batch}, not {other}")
	ParcelRefuseReason   = def("parcel.refuse_reason", Invalid, "请填写拒收原因 / give the reason for refusing")
	ParcelShortQuery     = def("parcel.short_query", Invalid, "请输入运单号或其前 {min} 位以上 / give a waybill or at least its first {min} characters")
	ParcelFindQuery      = def("parcel.find_query", Invalid, "请输入取件码、运单号或手机尾号 / give a pickup code, a waybill or the phone's last 4 digits")
	ShelfBadPlace        = def("shelf.bad_place", Invalid, "货架与层须为 1–3 位字母或数字 / shelf and layer must be 1-3 letters or digits")
	ShelfFull            = def("shelf.full", Invalid, "货架 {shelf} 层 {layer} 已满，换一层 / shelf {shelf} layer {layer} has no free pickup number: use another layer")
	ShelfCodeTaken       = def("shelf.code_taken", Conflict, "取件码 {code} 已被占用 / pickup code {code} is taken")
	PickupCodeMismatch   = def("pickup.code_mismatch", Invalid, "取件码不符 / the pickup code does not match this parcel")
	PickupIDCheck        = def("pickup.id_check", Invalid, "请选择核验方式：{allowed} / choose how identity was checked: {allowed}")
	PickupAgentName      = def("pickup.agent_name", Invalid, "代收须填写代收人姓名 / a named agent must give their name")
	PickupStaffSigner    = def("pickup.staff_signer", Invalid, "工作人员不得代客户签收 / staff may never sign on a customer's behalf")
	PickupBadSigner      = def("pickup.bad_signer", Invalid, "签收人须为收件人或代收人 / the signer must be the recipient or a named agent; staff may never sign")
	PickupNoProof        = def("pickup.no_proof", Invalid, "须签名或明确确认 / a signature or an explicit confirmation is required")
)

// Signatures (SVG strokes) and photos.
var (
	SignatureTooLarge = def("signature.too_large", Invalid, "签名超过 {max_kib} KiB，请清除后重签 / the signature is larger than {max_kib} KiB: clear and sign again")
	SignatureBadSVG   = def("signature.bad_svg", Invalid, "签名格式错误：{detail} / the signature is not valid SVG: {detail}")
	SignatureNotSVG   = def("signature.not_svg", Invalid, "签名须为 SVG / the signature must be an <svg>")
	SignatureElement  = def("signature.element", Invalid, "签名含不允许的元素 <{element}> / the signature may hold strokes only, not <{element}>")
	SignatureContent  = def("signature.content", Invalid, "签名含不允许的属性或内容 / the signature may hold strokes only")
	SignatureEmpty    = def("signature.empty", Invalid, "签名为空，请签名 / the signature is empty: please sign")
	PhotoTooMany      = def("photo.too_many", Invalid, "最多 {max} 张照片 / at most {max} photos")
	PhotoTooLarge     = def("photo.too_large", Invalid, "照片超过 {max_mib} MiB / a photo is larger than {max_mib} MiB")
	PhotoBadType      = def("photo.bad_type", Invalid, "照片须为 JPEG 或 PNG（收到 {type}） / photos must be JPEG or PNG, got {type}")
	PhotoNotBase64    = def("photo.not_base64", Invalid, "照片 {n} 不是 base64 / photo {n} is not base64")
	PhotoNotFound     = def("photo.not_found", NotFound, "没有照片 {sha} / no photo {sha}")
)

// Steps of the lifecycle machines. Every step code gets entity, id, state,
// step and allowed from lifecycle.StepError; a template uses those it needs.
var (
	StepNotAllowed           = def("step.not_allowed", Conflict, "{entity} {id} 当前状态 {state}，不能执行 {step}；可执行：{allowed} / {entity} {id} is {state}: cannot {step}; allowed: {allowed}")
	StepUnknown              = def("step.unknown", Conflict, "{entity} {id} 当前状态 {state}，没有步骤 {step}；可执行：{allowed} / {entity} {id} is {state}: there is no step {step}; allowed: {allowed}")
	StepHubOnly              = def("step.hub_only", Conflict, "{entity} {id} 当前状态 {state}，{step} 仅总部可执行 / {entity} {id} is {state}: only head office may {step}")
	StepNoRecord             = def("step.no_record", Conflict, "{entity} {id} 尚无记录，不能执行 {step} / {entity} {id} has no record yet: cannot {step}")
	StepSatisfactionRequired = def("step.satisfaction_required", Conflict, "{entity} {id}：回访须记录满意度 1–5 / {entity} {id}: a follow-up needs a satisfaction score of 1–5")
	StepOwnerRequired        = def("step.owner_required", Invalid, "指派须填写负责人 / assign needs an owner")
)

// Exceptions and claims.
var (
	ExceptionNotFound        = def("exception.not_found", NotFound, "没有异常件 {id} / no exception {id}")
	ExceptionReported        = def("exception.reported", Conflict, "异常件已登记 / the exception is already reported")
	ExceptionWaybillRequired = def("exception.waybill_required", Invalid, "请填写运单号 / give the waybill")
	ExceptionBadKind         = def("exception.bad_kind", Invalid, "异常类型 {kind} 无效，可用：{allowed} / kind \"{kind}\" is not one of {allowed}")
	ClaimApprovedRequired    = def("claim.approved_required", Invalid, "理赔决定须说明是否批准 / decide_claim needs \"approved\": true or false")
	ClaimNegativeAmount      = def("claim.negative_amount", Invalid, "金额不能为负 / amount_cents must not be negative")
)

// Complaints, suggestions and praise.
var (
	ComplaintNotFound       = def("complaint.not_found", NotFound, "没有投诉 {id} / no complaint {id}")
	ComplaintRecorded       = def("complaint.recorded", Conflict, "投诉已登记 / the complaint is already recorded")
	ComplaintBadField       = def("complaint.bad_field", Invalid, "{field} 的值 {value} 无效，可用：{allowed} / {field} \"{value}\" is not one of {allowed}")
	ComplaintTextEmpty      = def("complaint.text_empty", Invalid, "内容为空 / the complaint text is empty")
	ComplaintTextTooLong    = def("complaint.text_too_long", Invalid, "内容超过 {max} 字节 / the text is longer than {max} bytes")
	ComplaintNoticeRequired = def("complaint.notice_required", Invalid, "须填写通告编号 / attach_notice needs a notice_id")
)

// Incident reports (事故报告) from the counter to head office.
var (
	IncidentNotFound      = def("incident.not_found", NotFound, "没有事故报告 {id} / no incident report {id}")
	IncidentReported      = def("incident.reported", Conflict, "事故报告已登记 / the incident is already reported")
	IncidentBadField      = def("incident.bad_field", Invalid, "{field} 的值 {value} 无效，可用：{allowed} / {field} \"{value}\" is not one of {allowed}")
	IncidentFieldRequired = def("incident.field_required", Invalid, "请填写{field} / give the {field}")
	IncidentTooLong       = def("incident.too_long", Invalid, "{field} 超过 {max} 字 / {field} is longer than {max} characters")
	IncidentBadNumber     = def("incident.bad_number", Invalid, "{field} 须为 0–{max} / {field} must be 0 to {max}")
	IncidentPhotoTooMany  = def("incident.photo_too_many", Invalid, "最多 {max} 张照片 / at most {max} photos")
	IncidentPhotoTooLarge = def("incident.photo_too_large", Invalid, "照片 {n} 有 {kb} KB，超过 {max_kb} KB，请在页面上重新选择以便压缩 / photo {n} is {kb} KB, over {max_kb} KB: choose it again on the form so that it is compressed")
	IncidentPhotoNotJPEG  = def("incident.photo_not_jpeg", Invalid, "照片 {n} 不是 JPEG 图片（收到 {type}） / photo {n} is not a JPEG image (got {type})")
	IncidentPhotoBadPart  = def("incident.photo_bad_part", Invalid, "照片分段无效：{detail} / a photo part is invalid: {detail}")
	IncidentPhotoMissing  = def("incident.photo_missing", NotFound, "事故报告 {id} 没有完整的照片 {sha} / incident {id} has no complete photo {sha}")
)

// Customer messages (hub/gateway) and their delivery receipts.
var (
	MessageNotFound = def("message.not_found", NotFound, "没有这条客户消息 {key} / no customer message {key}")
	MessageNotSent  = def("message.not_sent", Conflict, "消息 {key} 尚未发出（{state}），不能确认送达 / message {key} was not sent ({state}): a receipt needs a sent message")
)

// Complaints from head office's own channels (a webhook, a mailbox).
var (
	ChannelUnknown      = def("channel.unknown", NotFound, "没有渠道 {channel}，可用：{allowed} / no channel \"{channel}\": use {allowed}")
	ChannelBadMessageID = def("channel.bad_message_id", Invalid, "消息编号须为 1–{max} 个可打印字符 / message_id must be 1 to {max} printable characters")
	ChannelBadField     = def("channel.bad_field", Invalid, "{field} 超过 {max} 字节或含控制字符 / {field} is over {max} bytes or holds control characters")
	ChannelNoKey        = def("channel.no_key", Unavailable, "总部未配置个人信息主密钥，无法接收渠道投诉 / head office has no personal-data master key (customers.master_key_file): channel complaints cannot be sealed")
	ChannelBadCategory  = def("channel.bad_category", Invalid, "类别 {value} 无效，可用：{allowed} / category \"{value}\" is not one of {allowed}")
)

// Notices and reply templates head office publishes.
var (
	NoticeNotFound       = def("notice.not_found", NotFound, "没有通告 {id} / no notice {id}")
	NoticeTitleText      = def("notice.title_text", Invalid, "通告须有标题和内容 / a notice needs a title and a text")
	NoticeBadSeverity    = def("notice.bad_severity", Invalid, "severity 的值 {severity} 无效，可用：{allowed} / severity \"{severity}\" is not one of {allowed}")
	NoticeBadCategory    = def("notice.bad_category", Invalid, "category 的值 {category} 无效，可用：{allowed} / category \"{category}\" is not one of {allowed}")
	NoticeBadFAQ         = def("notice.bad_faq", Invalid, "FAQ 每条须有问有答 / every FAQ entry needs a q and an a")
	NoticeBadPeriod      = def("notice.bad_period", Invalid, "结束时间须晚于开始时间 / valid_to must be after valid_from")
	NoticeBadHoldDays    = def("notice.bad_hold_days", Invalid, "保管天数 {hold_days} 无效，须在 1 到 {max} 天之间 / hold_days {hold_days} must be between 1 and {max}")
	NoticeBadArea        = def("notice.bad_area", Invalid, "暂停派送区域 {area} 无效 / delivery_suspended area \"{area}\" must be a code without spaces")
	NoticeBadHours       = def("notice.bad_hours", Invalid, "营业时间 {open}–{close} 无效，须为 HH:MM 且开门早于关门 / counter_hours {open}-{close} must be HH:MM with open before close")
	NoticeEndText        = def("notice.end_text", Invalid, "须填写恢复通告内容 / the recovery notice needs a text")
	TemplateNotFound     = def("template.not_found", NotFound, "没有回复模板 {id} / no reply template {id}")
	TemplateTitleText    = def("template.title_text", Invalid, "模板须有标题和内容 / a template needs a title and a text")
	TemplateBadCategory  = def("template.bad_category", Invalid, "category 的值 {category} 无效，可用：{allowed}（或留空） / category \"{category}\" is not one of {allowed} (or empty for any)")
	DownlinkHubOnly      = def("downlink.hub_only", Conflict, "只有总部可发布 {type} / only head office publishes {type}")
	DownlinkTargetType   = def("downlink.target_type", Invalid, "须填写 target（网点编号或 *）和 type / \"target\" (an outlet id or \"*\") and \"type\" are required")
	DownlinkBadTarget    = def("downlink.bad_target", Invalid, "下发目标 {target} 无效，须为网点编号或 * / target \"{target}\" is neither an outlet id nor \"*\" for all outlets")
	DownlinkBadPayload   = def("downlink.bad_payload", Invalid, "payload 不是有效的 JSON / payload is not valid JSON")
	DownlinkInvalidEvent = def("downlink.invalid_event", Invalid, "下发事件无效：{detail} / the downlink event is not valid: {detail}")
)

// Peak planning: head office's calendar and the forecast.
var (
	CalendarNotFound  = def("calendar.not_found", NotFound, "日历中没有事件 {id} / the calendar has no event {id}")
	CalendarBadName   = def("calendar.bad_name", Invalid, "事件须有中文名和英文名，各不超过 {max} 个字符 / an event needs a Chinese and an English name, each at most {max} characters")
	CalendarBadKind   = def("calendar.bad_kind", Invalid, "事件类型 {kind} 无效，可用：{allowed} / kind \"{kind}\" is not one of {allowed}")
	CalendarBadDates  = def("calendar.bad_dates", Invalid, "日期无效：须为 YYYY-MM-DD，结束不早于开始，最长 {max} 天 / the dates must be YYYY-MM-DD, the last not before the first, at most {max} days")
	CalendarBadUplift = def("calendar.bad_uplift", Invalid, "预期倍数须为 0（按往年学习）到 {max} / the expected uplift must be 0 (learn it from past years) to {max}")
	CalendarFull      = def("calendar.full", Conflict, "日历最多 {max} 个事件，请先删除过去的事件 / the calendar holds at most {max} events: delete past ones first")
	ForecastShort     = def("forecast.short_history", Conflict, "网点 {outlet} 只有 {days} 天的到件记录，预测至少需要 {min} 天 / outlet {outlet} has {days} days of inbound parcels; a forecast needs at least {min}")
)

// Outlets.
var (
	OutletNotFound      = def("outlet.not_found", NotFound, "没有网点 {outlet} / no outlet {outlet}")
	OutletNotRegistered = def("outlet.not_registered", Invalid, "网点 {outlet} 未登记 / outlet {outlet} is not registered: add it with `yizhan-hub outlet add`")
	OutletIDLength      = def("outlet.id_length", Invalid, "网点编号 {outlet} 须为 1–64 个字符 / outlet id \"{outlet}\" must be 1-64 characters")
	OutletIDChars       = def("outlet.id_chars", Invalid, "网点编号 {outlet} 只能含字母、数字、- 和 _ / outlet id \"{outlet}\" may hold only letters, digits, '-' and '_'")
	OutletIDReserved    = def("outlet.id_reserved", Invalid, "网点编号 {outlet} 为总部保留 / outlet id \"{outlet}\" is reserved for head office")
	OutletExists        = def("outlet.exists", Conflict, "网点 {outlet} 已登记 / outlet {outlet} is already registered: choose another id, or give it a new secret with `yizhan-hub outlet add --rotate`")
	OutletBadRegion     = def("outlet.bad_region", Invalid, "片区名称 {value} 无效：最多 {max} 个可打印字符 / region \"{value}\" must be at most {max} printable characters")
	OutletBadCity       = def("outlet.bad_city", Invalid, "城市名称 {value} 无效：最多 {max} 个可打印字符 / city \"{value}\" must be at most {max} printable characters")
	OutletNoChange      = def("outlet.no_change", Invalid, "请填写要修改的 region 或 city / give the region or the city to change")
	RegionNotFound      = def("region.not_found", NotFound, "没有属于片区 {region} 的网点 / no outlet belongs to region {region}")
	OutletWeakSecret    = def("outlet.weak_secret", Invalid, "密钥太容易猜：至少 {min_length} 个字符、{min_distinct} 种不同字符，不可重复或连续；不填则由总部生成 / the secret is too easy to guess: a hand-set outlet secret needs at least {min_length} characters, {min_distinct} of them different, not a repeated word or a run; omit it and head office generates one")
)

// Manifests and courier handovers.
var (
	ManifestNotFound     = def("manifest.not_found", NotFound, "没有派件清单 {id} / no manifest {id}")
	ManifestNotReceived  = def("manifest.not_received", Invalid, "本网点尚未收到清单 {id} / manifest {id} has not reached this outlet yet: sync, or open without it")
	ManifestHubOnly      = def("manifest.hub_only", Conflict, "仅总部可发布派件清单 / only head office publishes manifests")
	ManifestFieldTooLong = def("manifest.field_too_long", Invalid, "courier 或 line 超过 {max} 字节或含控制字符 / courier and line must be at most {max} bytes without control characters")
	ManifestExpectedAt   = def("manifest.expected_at", Invalid, "须填写预计到达时间 / expected_at is required (RFC 3339)")
	ManifestCount        = def("manifest.count", Invalid, "清单须有 1–{max} 个运单号（现有 {count}） / a manifest needs 1 to {max} waybills, got {count}")
	ManifestWaybillEmpty = def("manifest.waybill_empty", Invalid, "第 {n} 个运单号为空 / waybill {n} is empty")
	ManifestWaybillBad   = def("manifest.waybill_bad", Invalid, "第 {n} 个运单号超过 {max} 字节或含控制字符 / waybill {n} is over {max} bytes or has control characters")
	ManifestWaybillTwice = def("manifest.waybill_twice", Invalid, "运单号 {waybill} 重复 / waybill {waybill} appears twice")
	ManifestTooLarge     = def("manifest.too_large", Invalid, "清单过大（{size} 字节，上限 {max}），请拆分 / the manifest is {size} bytes, over the {max}-byte event limit: split it into several manifests")
	ManifestOtherOutlet  = def("manifest.other_outlet", Invalid, "清单 {id} 属于网点 {outlet}，不能改发给 {other} / manifest {id} belongs to outlet {outlet}: publish a new one for {other}")
	HandoverNotFound     = def("handover.not_found", NotFound, "没有交接 {id} / no handover {id}")
	HandoverCourier      = def("handover.courier_required", Invalid, "请填写快递员 / name the courier")
	HandoverClerkSigner  = def("handover.clerk_signer", Invalid, "网点签字须由当前登录员工完成 / the outlet's signature must be the logged-in staff member's")
	HandoverSameSigner   = def("handover.same_signer", Invalid, "快递员与店员须分别签字 / the courier and the clerk sign separately")
	HandoverClosed       = def("handover.closed", Conflict, "交接 {id} 已结束，请新开交接 / handover {id} is already closed: open a new session")
	HandoverUnsigned     = def("handover.unsigned", Conflict, "交接 {id} 须双方签字，缺少：{missing} / handover {id}: both parties must sign; missing: {missing}")
)

// Courier dispatch and returns.
var (
	DispatchNotFound        = def("dispatch.not_found", NotFound, "没有派送批次 {id} / no dispatch batch {id}")
	DispatchCourierRequired = def("dispatch.courier_required", Invalid, "未指定快递员 / a dispatch needs a named courier")
	DispatchEmpty           = def("dispatch.empty", Invalid, "派送批次为空 / the dispatch batch has no parcels")
	DispatchUnsigned        = def("dispatch.unsigned", Invalid, "快递员未签收 / the courier has not signed for the batch")
	DispatchCourierSigns    = def("dispatch.courier_signs", Invalid, "须由快递员本人签字 / the courier signs, not the clerk")
	DispatchDayRequired     = def("dispatch.day_required", Invalid, "未指定营业日 / a dispatch needs its business day")
	DispatchBadDay          = def("dispatch.bad_day", Invalid, "营业日 {day} 格式应为 YYYY-MM-DD / the business day \"{day}\" is not YYYY-MM-DD")
	DispatchBadWaybill      = def("dispatch.bad_waybill", Invalid, "批次中运单 {waybill} 为空或重复 / the batch lists an empty or repeated waybill \"{waybill}\"")
	DispatchBadReason       = def("dispatch.bad_reason", Invalid, "未投递原因 {reason} 无效，可用：{allowed} / non-delivery reason \"{reason}\" is not one of {allowed}")
	DispatchRestockCode     = def("dispatch.restock_code", Invalid, "重新上架须有新取件码 / a restocked parcel needs its new pickup code")
	DispatchBadDisposition  = def("dispatch.bad_disposition", Invalid, "去向 {disposition} 无效，可用：{allowed} / disposition \"{disposition}\" is not one of {allowed}")
	DispatchNoProof         = def("dispatch.no_proof", Invalid, "投递须有签收凭证 / a delivery needs the recipient's signature or another explicit confirmation")
	DispatchRecorded        = def("dispatch.recorded", Conflict, "批次已登记 / the batch is already recorded")
	DispatchAgain           = def("dispatch.again", Conflict, "运单 {waybill} 不能再次派送 / parcel {waybill} cannot go out again")
	DispatchNotInBatch      = def("dispatch.not_in_batch", Conflict, "运单 {waybill} 不在批次 {batch} 中 / parcel {waybill} is not out in batch {batch}")
	DispatchAlready         = def("dispatch.already", Conflict, "运单 {waybill} 已是 {state} / parcel {waybill} is already {state}")
)

// Waybill numbers and their blocks.
var (
	WaybillExhausted        = def("waybill.exhausted", Invalid, "运单号已用完，暂停收寄：请联网等待总部分配新号段，已用号码不会重复使用 / waybill numbers used up: sending stops until head office allocates a new block (connect to sync); used numbers are never reissued")
	WaybillBadS10           = def("waybill.bad_s10", Invalid, "运单号 {waybill} 格式应为两字母+9位数字+两字母 / waybill \"{waybill}\" is not two letters, nine digits, two letters")
	WaybillBadCheck         = def("waybill.bad_check", Invalid, "运单号 {waybill} 校验位不符 / waybill \"{waybill}\" has a wrong check digit")
	WaybillIssued           = def("waybill.issued", Conflict, "运单号 {waybill} 已使用或已跳过 / waybill {waybill} was already issued or skipped")
	WaybillUsed             = def("waybill.used", Conflict, "运单号已使用 / this waybill number was already used")
	WaybillNotNext          = def("waybill.not_next", Conflict, "运单号 {waybill} 不是下一个可用号 {next} / waybill number {waybill} is not the next free one ({next})")
	WaybillNotInBlocks      = def("waybill.not_in_blocks", Conflict, "运单号 {waybill} 不在本网点号段内 / waybill {waybill} is in none of this outlet's blocks")
	WaybillOutletOnly       = def("waybill.outlet_only", Conflict, "只有本网点可使用其号段 / only the outlet that holds the block issues its numbers")
	WaybillHubAllocates     = def("waybill.hub_allocates", Conflict, "只有总部可分配号段 / only head office allocates waybill blocks")
	WaybillBlockOverlap     = def("waybill.block_overlap", Conflict, "号段 {prefix} {first}–{last} 与已分配号段 {old_first}–{old_last} 重叠 / block {prefix} {first}–{last} overlaps block {old_first}–{old_last}")
	WaybillBlockCode        = def("waybill.block_code", Invalid, "号段前缀 {prefix} 和国家码 {country} 须为两个大写字母 / block prefix \"{prefix}\" and country \"{country}\" must be two letters A–Z")
	WaybillBlockRange       = def("waybill.block_range", Invalid, "号段范围 {first}–{last} 无效 / block range {first}–{last} is not within 0–99999999 in order")
	WaybillBlockRequest     = def("waybill.block_request", Invalid, "号段申请无效：数量 {count} 须为 0（默认）到 {max}，剩余 {remaining} 不能为负 / block request: count {count} must be 0 (default) to {max} and remaining {remaining} not negative")
	WaybillBlockCount       = def("waybill.block_count", Invalid, "count 须为 1–{max}（收到 {count}） / count must be 1 to {max}, got {count}")
	WaybillSerialsExhausted = def("waybill.serials_exhausted", Conflict, "号段已分配完，请换号段前缀 / waybill serials used up: configure another waybill prefix")
	WaybillNoAllocator      = def("waybill.no_allocator", Internal, "此总部未配置号段分配 / this hub does not allocate waybill blocks")
)

// Sending at the counter: identity, contents, checklist, weight and price.
var (
	SendingNoTariff       = def("sending.no_tariff", Invalid, "尚未收到价目表，暂不能收寄 / no tariff from head office yet: connect to sync before sending")
	SendingNoProhibited   = def("sending.no_prohibited", Invalid, "尚未收到禁限寄清单，暂不能收寄 / no prohibited-items list from head office yet: connect to sync before sending")
	SendingIDLength       = def("sending.id_length", Invalid, "证件号码长度不对 / the document number must be 5-32 characters")
	SendingIDType         = def("sending.id_type", Invalid, "须实名登记寄件人证件，类型可用：{allowed} / register the sender's identity document: type one of {allowed}")
	SendingItemType       = def("sending.item_type", Invalid, "物品类型无效，可用：{allowed} / item type must be one of {allowed}")
	SendingItemsRequired  = def("sending.items_required", Invalid, "请填写内件品名 / describe the contents")
	SendingListChanged    = def("sending.list_changed", Invalid, "禁限寄清单已更新为 {version}，请重新确认 / the prohibited-items list is now version {version}: confirm it again")
	SendingNotConfirmed   = def("sending.not_confirmed", Invalid, "未确认禁限寄项目：{item} / not confirmed absent: {item}")
	SendingNameRequired   = def("sending.name_required", Invalid, "请填写姓名 / give the name")
	SendingAddress        = def("sending.address_required", Invalid, "请填写收件地址与目的地 / give the recipient's address and destination code")
	ShipmentNotFound      = def("shipment.not_found", NotFound, "没有运单 {number} / no shipment {number}")
	TariffUnknownDest     = def("tariff.unknown_destination", Invalid, "目的地 {dest} 不在价目表内 / destination \"{dest}\" is not in the tariff")
	TariffNoWeight        = def("tariff.no_weight", Invalid, "重量须大于 0 / weight must be above 0 g: weigh the parcel")
	TariffOverweight      = def("tariff.overweight", Invalid, "计费重量 {grams} 克超过上限 {max} 克 / chargeable weight {grams} g is over the maximum of {max} g: split the parcel")
	TariffBadSize         = def("tariff.bad_size", Invalid, "尺寸 {length}×{width}×{height} cm 无效 / dimensions {length}×{width}×{height} cm: each must be 0 (not measured) or 1–1000 cm")
	TariffBadDeclared     = def("tariff.bad_declared", Invalid, "保价金额 {declared} 分无效，须大于 0 且不超过 {max} / declared value {declared} fen must be above 0 and at most {max}")
	TariffInvalid         = def("tariff.invalid", Invalid, "价目表无效：{detail} / tariff table invalid: {detail}: ask head office to republish it")
	TariffVersion         = def("tariff.version_required", Invalid, "价目表须有版本号 / the tariff needs a version")
	TariffZones           = def("tariff.zones_required", Invalid, "价目表须有分区和价格 / the tariff needs zones and rates")
	VersionBad            = def("version.bad", Invalid, "版本号超过 {max} 字节或含控制字符 / version must be at most {max} bytes without control characters")
	VersionPublished      = def("version.published", Invalid, "版本 {version} 已发布，请使用新版本号 / version {version} is already published: publish the change as a new version")
	VersionNone           = def("version.none", NotFound, "尚未发布 {kind} / no {kind} has been published yet")
	ProhibitedVersion     = def("prohibited.version_required", Invalid, "禁限寄清单须有版本号 / the prohibited-items list needs a version")
	ProhibitedEmpty       = def("prohibited.empty", Invalid, "禁限寄清单不能为空 / the prohibited-items list needs at least one item")
	ProhibitedItemMissing = def("prohibited.item_incomplete", Invalid, "第 {n} 项须有编码和名称 / item {n} needs a code and a name")
	ProhibitedBadRule     = def("prohibited.bad_rule", Invalid, "第 {n} 项规则 {rule} 无效，可用：{allowed} / item {n} rule \"{rule}\" is not one of {allowed}")
	ProhibitedCodeTwice   = def("prohibited.code_twice", Invalid, "编码 {code} 重复 / item code \"{code}\" appears twice")
)

// Devices as the API reaches them: scales, label printers.
var (
	ScaleUnknown        = def("scale.unknown", Invalid, "没有名为 {scale} 的电子秤 / no scale named \"{scale}\" in the config")
	ScaleNotConfigured  = def("scale.not_configured", Invalid, "未配置电子秤 / no scale is configured")
	ScaleUnstable       = def("scale.unstable", Invalid, "重量不稳定 / weight not stable: wait for the scale to settle")
	ScaleOverload       = def("scale.overload", Invalid, "超出量程 / overload: the load is over the scale's capacity; take it off")
	ScaleDisconnected   = def("scale.disconnected", Invalid, "电子秤未连接 / scale disconnected: check the cable; it reconnects by itself")
	ScaleSilent         = def("scale.silent", Invalid, "电子秤无数据 / scale silent: no weight from the scale; check it is on and its settings match")
	ScaleNoReading      = def("scale.no_reading", Invalid, "还没有读数 / no reading yet: put the parcel on the scale")
	ScaleFailed         = def("scale.failed", Invalid, "电子秤 {scale} 读数失败 / could not read the scale {scale}: check it and try again")
	LabelNoPrinter      = def("label.no_printer", Invalid, "没有这台打印机 {printer} / no printer named {printer} in the devices config")
	LabelPreviewInvalid = def("label.preview_invalid", Invalid, "标签预览参数无效：{detail} / label preview parameters are invalid: {detail}")
	PrintRenderFailed   = def("print.render_failed", Conflict, "打印任务 {id} 的标签无法生成：{detail} / print job {id}: the label cannot be drawn: {detail}")
	PrintJobNotFound    = def("print.job_not_found", NotFound, "没有打印任务 {id} / no print job {id}")
	PrintWrongState     = def("print.wrong_state", Conflict, "打印任务 {id} 状态为 {state}，不能执行 {action} / print job {id} is {state}: {action} is not possible now")
	PrintUnknownAction  = def("print.unknown_action", Invalid, "未知的打印操作 {action}，可用：{allowed} / unknown print action \"{action}\": use one of {allowed}")
	PrintQueueFull      = def("print.queue_full", Unavailable, "打印机 {printer} 的队列已满，请先处理打印机或取消任务 / the queue of printer {printer} is full: fix the printer or cancel jobs, then try again")
)

// The agent's web gate (agent/api) and its API tokens (agent/staff/tokens).
var (
	RequestHostRefused = def("request.host_refused", Forbidden, "拒绝访问：{host} 不是本机代理的名称，请用 {allowed} 打开，或将该名称加入 [http] allowed_hosts / refused: {host} is not a name of this agent (open it as {allowed}, or add the name to [http] allowed_hosts)")
	RequestCrossSite   = def("request.cross_site", Forbidden, "拒绝来自其他网页 {origin} 的请求 / refused: a request from another site ({origin}) cannot change anything here")
	RequestNotJSON     = def("request.not_json", Invalid, "请求须为 JSON（Content-Type: application/json），收到 {type} / the request must be JSON (Content-Type: application/json), not {type}")
	AuthStaffOnly      = def("auth.staff_only", Forbidden, "此操作需要员工登录，API 令牌不能使用 / this needs a staff login: an API token cannot do it")
	AuthTokenScope     = def("auth.token_scope", Forbidden, "令牌 {name} 的权限为 {scopes}，此操作需要 {need} / token {name} has scope {scopes}: this needs {need}")
	AuthTokenUnknown   = def("auth.token_unknown", Unauthorized, "API 令牌无效或已吊销 / the API token is unknown or revoked: ask the operator for a new one (yizhan-agent token add)")
	TokenBadName       = def("token.bad_name", Invalid, "令牌名称须为 1–{max} 个小写字母、数字、- 或 _ / a token name is 1 to {max} lower-case letters, digits, - or _")
	TokenBadScope      = def("token.bad_scope", Invalid, "未知的令牌权限 {scope}，可用：{allowed} / unknown token scope \"{scope}\": use {allowed}")
	TokenExists        = def("token.exists", Conflict, "已有名为 {name} 的令牌 / a token named {name} exists: revoke it first or choose another name")
	TokenNotFound      = def("token.not_found", NotFound, "没有名为 {name} 的令牌 / no token named {name}")
)

// Head office's store.
var (
	StoreBusy = def("store.busy", Unavailable, "总部数据库正忙，请 {seconds} 秒后重试 / head office's database is busy (another process holds its lock): try again in {seconds} s")
	// StoreUnreachable is /readyz of a hub whose store does not answer
	// (a stopped PostgreSQL, a vanished SQLite file): it acknowledges
	// nothing until it does, then resumes.
	StoreUnreachable = def("store.unreachable", Unavailable, "无法连接总部数据库 {db}（{detail}），恢复连接前不确认任何上传，恢复后自动继续 / head office's database {db} cannot be reached ({detail}): nothing is acknowledged until it answers again, then the hub resumes by itself")
)

// The link to head office: what the sync status and the screen's header
// say when the agent refuses the hub's broker, or the broker this outlet.
var (
	SyncCertUnknownCA     = def("sync.cert_unknown_ca", Unavailable, "总部的证书不是由 {file} 中的 CA 签发的，已拒绝连接 / the hub's certificate is not signed by the CA in {file}: connection refused; check the address, or get head office's CA file")
	SyncCertExpired       = def("sync.cert_expired", Unavailable, "总部的证书已于 {date} 过期，已拒绝连接 / the hub's certificate expired on {date}: connection refused until head office renews it")
	SyncCertNotYetValid   = def("sync.cert_not_yet_valid", Unavailable, "总部的证书自 {date} 起才生效，请检查本机时钟 / the hub's certificate is valid only from {date}: check this PC's clock")
	SyncCertWrongHost     = def("sync.cert_wrong_host", Unavailable, "总部的证书不属于 {host}（证书上的名称：{names}），请检查同步地址 / the hub's certificate is not for {host} (it names {names}): check the broker address")
	SyncClientCertRefused = def("sync.client_cert_refused", Unavailable, "总部拒绝了本网点的客户端证书（{detail}） / head office refused this outlet's client certificate ({detail}): check sync.cert_file and sync.key_file")
	SyncTLSFailed         = def("sync.tls_failed", Unavailable, "与总部的加密连接失败：{detail} / the encrypted connection to the hub failed: {detail}")
)

// An outlet's uplink stream as head office refused it (syncproto.Problem
// codes, worded as "sync.<code>") and head office's incarnation command.
var (
	SyncIncarnation      = def("sync.incarnation", Conflict, "总部已存有本网点的 {held} 条事件：请恢复本机的备份，或请总部为本网点开启新的数据流 / head office already holds {held} events of this outlet: restore its backup, or have head office start a new incarnation")
	SyncConflict         = def("sync.conflict", Conflict, "总部存有第 {seq} 号事件的另一版本（{held_id}），本机的（{sent_id}）未被接收，请联系总部 / head office holds another version ({held_id}) of event {seq}; this one ({sent_id}) was not taken: call head office")
	SyncBeyondWindow     = def("sync.beyond_window", Invalid, "第 {first} 号起的事件超前总部已收到的第 {acked} 号过多（上限 {window}），未被接收 / events from {first} on are too far ahead of the {acked} head office holds (limit {window}): they were not taken")
	SyncCatchingUp       = def("sync.catching_up", Unavailable, "本机数据从备份恢复，正在从总部补回第 {from} 号起的本网点事件，完成后即可记录新业务；若久未完成，请检查与总部的网络 / this PC was restored from a backup and is fetching this outlet's events from {from} on back from head office: new work can be recorded once that is done; if it takes long, check the link to head office")
	OutletBadIncarnation = def("outlet.bad_incarnation", Invalid, "数据流标识 {incarnation} 无效 / incarnation \"{incarnation}\" must be 8 to 64 letters, digits, '-' or '_'")
)

// The agent's data file and the disk under either program's store.
var (
	DataFileDamaged = def("datafile.damaged", Internal, "数据文件 {path} 已损坏（{detail}）：请从备份恢复，或运行 yizhan-agent salvage --data {dir} --to 新目录，把能读出的数据存入新文件，再以新目录启动 / the data file {path} is damaged ({detail}): restore it from the backup, or run yizhan-agent salvage --data {dir} --to NEWDIR to save what can be read into a new file, then start the agent with --data NEWDIR")
	StoreDiskFull   = def("store.disk_full", Unavailable, "数据目录 {dir} 所在磁盘将满（剩余 {free_mb} MB，下限 {min_mb} MB），请清理磁盘 / the disk holding {dir} is nearly full ({free_mb} MB free, below {min_mb} MB): free some space")
	// DataFileNotWritable is /readyz of an agent that cannot write in its
	// data directory.
	DataFileNotWritable = def("datafile.not_writable", Unavailable, "数据目录 {dir} 无法写入（{detail}），请检查目录权限与磁盘空间 / the data directory {dir} cannot be written ({detail}): check its owner and free disk space")
	// BrokerNotSubscribed is /readyz of a hub not subscribed to the
	// outlets' uplink at its broker.
	BrokerNotSubscribed = def("broker.not_subscribed", Unavailable, "总部未在消息代理 {broker} 上订阅，暂不接收网点上传，恢复后自动继续 / head office is not subscribed at the broker {broker}: it takes no outlet's events until it reconnects, which it does by itself")
)

// The agent's backups and their restore. A restore refuses before it
// changes anything, and says so.
var (
	BackupNoDir         = def("backup.no_dir", Invalid, "未指定备份目录：请用 --to 目录，或在 [backup] dir 中设置 / no backup directory: give --to DIR, or set [backup] dir")
	BackupFailed        = def("backup.failed", Unavailable, "备份未完成（{detail}），原数据文件未受影响 / the backup did not complete ({detail}); the data file itself is untouched")
	BackupLocalOnly     = def("backup.local_only", Forbidden, "只有本机命令行（yizhan-agent backup）可以发起备份 / only the command line on this PC (yizhan-agent backup) may start a backup")
	RestoreDamaged      = def("restore.damaged", Invalid, "备份文件 {path} 已损坏或不是网点数据文件（{detail}），未做任何更改 / the backup {path} is damaged or is not an agent data file ({detail}): nothing was changed")
	RestoreOtherOutlet  = def("restore.other_outlet", Conflict, "备份文件 {path} 属于网点 {found}，不是本网点 {outlet}，未做任何更改；只有本机要改作网点 {found} 时才加 --force / the backup {path} belongs to outlet {found}, not {outlet}: nothing was changed; give --force only if this PC is to become {found}")
	RestoreAgentRunning = def("restore.agent_running", Conflict, "数据目录 {dir} 正被运行中的 yizhan-agent 使用，未做任何更改：请先停止它 / {dir} is in use by a running yizhan-agent: nothing was changed; stop the agent first, then restore")
)

// The outlet PC's clock, as the sync status tells the clerk.
var (
	SyncClockAhead  = def("sync.clock_ahead", Conflict, "本机时钟比总部快 {ahead}：请把这台电脑的日期和时间调准，并打开自动对时。在此之前记录的业务照常上传，但总部会标记时间有误 / this PC's clock is {ahead} ahead of head office: set the PC's date and time right and turn on automatic time sync. Work recorded meanwhile still reaches head office, marked with a wrong time")
	SyncClockBehind = def("sync.clock_behind", Conflict, "本机时钟比总部慢 {behind}：请把这台电脑的日期和时间调准，并打开自动对时 / this PC's clock is {behind} behind head office: set the PC's date and time right and turn on automatic time sync")
)

// Head office's accounts, sessions, API tokens and its HTTP gate.
var (
	AuthWrongPassword = def("auth.wrong_password", Unauthorized, "账号或密码不对 / wrong account or password: check both and try again")
	AuthLocked        = def("auth.locked", TooMany, "账号 {account} 连续 {failures} 次密码错误已锁定，请在 {until} 后再试，或请管理员解锁 / account {account} is locked after {failures} wrong passwords in a row: try again after {until}, or ask an administrator to unlock it")
	AuthClientLimited = def("auth.client_limited", TooMany, "这台电脑密码错误次数过多（{failures} 次），请在 {until} 后再试 / too many wrong passwords from this computer ({failures}): try again after {until}")
	AuthRoleForbidden = def("auth.role_forbidden", Forbidden, "角色 {role} 不能使用 {route} / role {role} may not use {route}")
	RequestBadHost    = def("request.bad_host", Forbidden, "拒绝访问：{host} 不是总部服务的名称，请用 {allowed} 打开，或将该名称加入 [http] names / refused: {host} is not a name of this hub (open it as {allowed}, or add the name to [http] names)")

	AccountNotFound     = def("account.not_found", NotFound, "没有账号 {account} / no such account {account}: see the list of accounts")
	AccountExists       = def("account.exists", Conflict, "账号 {account} 已存在 / account {account} already exists: choose another id")
	AccountBadID        = def("account.bad_id", Invalid, "账号应为 1–32 个小写字母、数字、点、横线或下划线 / an account id is 1 to 32 lower-case letters, digits, '.', '-' or '_'")
	AccountBadName      = def("account.bad_name", Invalid, "姓名应为 1–64 个字 / a name is 1 to 64 characters, with no control characters")
	AccountBadRole      = def("account.bad_role", Invalid, "角色 {role} 无效，可选 {roles} / role \"{role}\" is not one of {roles}")
	AccountWeakPassword = def("account.weak_password", Invalid, "密码太弱：至少 {min_length} 个字符，其中至少 {min_distinct} 个不同，须含字母和数字或符号，且不能包含账号 / the password is too weak: at least {min_length} characters, at least {min_distinct} of them different, letters and digits or signs, not containing the account id")
	AccountDisabled     = def("account.disabled", Forbidden, "账号 {account} 已停用，请联系管理员 / account {account} is disabled: ask an administrator to enable it")
	AccountSelf         = def("account.self", Conflict, "不能停用自己的账号 {account} / you cannot disable your own account {account}: ask another administrator")
	AccountLoginMissing = def("account.login_missing", Invalid, "请输入账号和密码 / enter your account and password")
)

// Head office's measures (GET /api/v1/measures).
var (
	MeasuresBadDate   = def("measures.bad_date", Invalid, "{field} 的值 {value} 不是日期，应为 YYYY-MM-DD / {field} \"{value}\" must be a date such as 2026-07-01")
	MeasuresBadRange  = def("measures.bad_range", Invalid, "日期范围 {from} 至 {to} 无效：起始日不得晚于结束日，且不超过 {max} 天 / the range {from} to {to} is not one: from must not be after to, and it may span at most {max} days")
	MeasuresBadBy     = def("measures.bad_by", Invalid, "by 不能是 {value}，可用 {allowed} / by cannot be \"{value}\": use one of {allowed}")
	MeasuresBadPeriod = def("measures.bad_period", Invalid, "period 不能是 {value}，可用 {allowed} / period cannot be \"{value}\": use one of {allowed}")
)

// Head office's certificates (yizhan-hub certs).
var (
	CertExists      = def("cert.exists", Conflict, "{path} 已存在，未作改动：确要替换请加 --force / {path} already exists and was left as it is: add --force to replace it")
	CertNoCA        = def("cert.no_ca", NotFound, "{dir} 中没有 CA（ca.crt 和 ca.key）：请先运行 yizhan-hub certs ca / there is no CA (ca.crt and ca.key) in {dir}: run yizhan-hub certs ca first")
	CertBadName     = def("cert.bad_name", Invalid, "{value} 不是可用的名称（主机名、IP 地址或网点编号） / {value} is not a usable name (a host name, an IP address or an outlet id)")
	CertBadLifetime = def("cert.bad_lifetime", Invalid, "有效期 {value} 天不可用，须为 1–{max} 天 / a lifetime of {value} days is not one: it must be 1 to {max} days")
	CertUnreadable  = def("cert.unreadable", Invalid, "{path} 不是可读的 PEM 证书或密钥 / {path} is not a readable PEM certificate or key")
	CertNotOurs     = def("cert.not_ours", Invalid, "{path} 不是本 CA 签发的证书 / {path} was not issued by this CA")
)

// Head office's customers (GET /api/v1/customers…).
var (
	CustomerNotFound    = def("customer.not_found", NotFound, "没有这位客户 / no such customer: search by the phone number, or check the id")
	CustomerNoKey       = def("customer.no_key", Unavailable, "总部未配置主密钥，无法按手机号查找或显示联系方式 / head office's master key is not configured: set [customers] master_key_file to search by phone or reveal contacts")
	CustomerNoContact   = def("customer.no_contact", NotFound, "该客户没有留下联系方式 / this customer left no contact on record")
	CustomerUnreadable  = def("customer.unreadable", Conflict, "联系方式无法解开（网点密钥已更换或数据损坏） / the contact could not be opened: the outlet's key changed or the value is damaged")
	CustomerBadMonth    = def("customer.bad_month", Invalid, "{field} 的值 {value} 不是月份，应为 YYYY-MM / {field} \"{value}\" must be a month such as 2026-07")
	CustomerBadClass    = def("customer.bad_class", Invalid, "class 不能是 {value}，可用 {allowed} / class cannot be \"{value}\": use one of {allowed}")
	CustomerBadSettings = def("customer.bad_settings", Invalid, "{field} 须为四个递增的非负整数 / {field} must be four ascending non-negative whole numbers")
	CustomerBadWindow   = def("customer.bad_window", Invalid, "统计窗口须为 1–{max} 天 / window_days must be 1 to {max} days")
	CustomerBadName     = def("customer.bad_name", Invalid, "企业名称应为 0–{max} 个字，不含控制字符 / an enterprise name is at most {max} characters, with no control characters")
	CustomerBadLang     = def("customer.bad_lang", Invalid, "客户语言不能是 {value}，可用 {allowed} / a customer's language cannot be \"{value}\": use one of {allowed}")
)

// Head office's public complaint progress page (hub/progress): what a
// customer is told. A ticket that does not exist and one whose digits do
// not match are the same code, so the answer cannot tell them apart.
var (
	ProgressNotFound    = def("progress.not_found", NotFound, "没有找到与此单号和手机后四位相符的投诉，请核对回执 / no complaint matches this ticket and these four digits: check both against your receipt")
	ProgressBadDigits   = def("progress.bad_digits", Invalid, "请输入登记投诉时所留手机号码的后四位数字 / enter the last four digits of the phone number you gave with the complaint")
	ProgressLimited     = def("progress.limited", TooMany, "查询次数过多，请 {retry_after} 秒后再试 / too many tries: try again in {retry_after} seconds")
	ProgressUnavailable = def("progress.unavailable", Unavailable, "暂时无法查询，请稍后再试 / the progress of complaints cannot be looked up right now: try again later")
	RequestNotForm      = def("request.not_form", Invalid, "请求须为表单（Content-Type: application/x-www-form-urlencoded），收到 {type} / the request must be a form (Content-Type: application/x-www-form-urlencoded), not {type}")
)

// Satisfaction surveys: head office's definitions and rules, and the
// customers' answer page (/s/{token}).
var (
	SurveyBadDefinition = def("survey.bad_definition", Invalid, "问卷定义不可用：{detail}（编号为小写字母、数字、- 或 _；需有标题和 1–10 道各有中英文的题目） / the survey definition is not usable: {detail} (an id of lower-case letters, digits, - or _; a title and 1 to 10 questions, each in Chinese and English)")
	SurveyBadTrigger    = def("survey.bad_trigger", Invalid, "触发条件不能是 {value}，可用 {allowed} / the trigger cannot be \"{value}\": use one of {allowed}")
	SurveyBadRule       = def("survey.bad_rule", Invalid, "抽样规则的 {field} 不可用（抽样比例 0–100，间隔 0–3660 天，有效期 1–129600 分钟即 90 天） / the rule's {field} is not usable (share 0 to 100, every_days 0 to 3660, expiry_minutes 1 to 129600, 90 days)")
	SurveyNotDefined    = def("survey.not_defined", NotFound, "没有问卷 {survey}，请先保存问卷定义 / there is no survey {survey}: save its definition first")
	SurveyNoKey         = def("survey.no_key", Unavailable, "总部未配置主密钥，无法生成或核对问卷链接 / head office's master key is not configured: set [customers] master_key_file to sign and check survey links")
	SurveyBadToken      = def("survey.bad_token", NotFound, "问卷链接无效，请核对短信中的链接 / this survey link is not valid: check the link in the message")
	SurveyUsed          = def("survey.used", Conflict, "这份问卷已经答过了，谢谢 / this survey was already answered: thank you")
	SurveyExpired       = def("survey.expired", Conflict, "问卷链接已过期 / this survey link has expired")
	SurveyBadAnswer     = def("survey.bad_answer", Invalid, "请为每道题选 1–5 分，留言不超过 {max} 字 / give each question a score of 1 to 5, and a comment of at most {max} characters")
	SurveyRateLimited   = def("survey.rate_limited", TooMany, "提交过于频繁，请稍后再试 / too many tries from this device: try again in a minute")
)
