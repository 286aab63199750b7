// Yizhan counter screen.
//
// One module, no build step, no dependencies. The page is a thin client of the
// agent's HTTP API (docs/AGENT-API.md): every fact lives in the agent's event
// log, so the screen can be reloaded at any moment without losing anything.
//
// Conventions:
//  - every visible string comes from I18N through t(); Chinese is the default;
//  - DOM is built with h() and textContent, never innerHTML, so notice texts,
//    names and API messages can never inject markup;
//  - each page registers its timers in the page scope, which the router stops
//    when the page changes, so pollers never pile up.

// ---------------------------------------------------------------------------
// Strings

const I18N = {
  zh: {
    'app.name': '驿站',
    'lang.switch': 'EN',
    'nav.scan': '入库',
    'nav.pickup': '取件',
    'nav.exceptions': '异常件',
    'nav.complaints': '投诉',
    'nav.notices': '通告',
    'logout': '退出',
    'role.clerk': '店员',
    'role.supervisor': '主管',
    'close': '关闭',
    'cancel': '取消',
    'confirm': '确认',
    'none': '无',
    'loading': '加载中…',
    'empty': '暂无',
    'refresh': '刷新',

    'sync.online': '在线',
    'sync.offline': '离线',
    'sync.backlog': '待同步 {n}',
    'sync.dead': '被拒 {n}',
    'sync.unreachable': '本机服务无响应',
    'sync.title': '与总部的同步状态',

    'err.network': '无法连接本机驿站服务，请检查 yizhan-agent 是否在运行。',
    'err.session': '登录已失效，请重新登录。',
    'err.http': '请求失败（HTTP {status}）',
    'err.required': '请填写：{field}',
    'err.sign': '请客户在签名板上签名。',
    'err.agentName': '代领时请填写代领人姓名。',
    'err.photoSize': '照片 {name} 超过 {mb} MB，请压缩后再上传。',
    'err.photoType': '{name} 不是 JPEG 或 PNG 图片。',

    'login.title': '员工登录',
    'login.staff': '工号',
    'login.pin': 'PIN 码',
    'login.submit': '登录',
    'login.clear': '清除',
    'login.back': '退格',
    'login.hint': '在屏幕键盘或键盘上输入；回车登录。',

    'scan.title': '扫描入库',
    'scan.barcode': '运单号（扫码）',
    'scan.barcodeHint': '扫码枪扫描或手动输入，回车确认',
    'scan.phone': '收件人手机号',
    'scan.name': '收件人姓名（可选）',
    'scan.shelf': '货架',
    'scan.layer': '层',
    'scan.sameCity': '同城件',
    'scan.submit': '入库上架',
    'scan.phoneNext': '请输入手机号后回车',
    'scan.done': '已入库',
    'scan.code': '取件码',
    'scan.labelPrinted': '货架标签已送打印机',
    'scan.labelJob': '任务 #{job}',
    'scan.today': '今日在库 {n} 件',
    'scan.devices': '设备',
    'scan.noDevices': '未配置扫码枪或打印机',
    'scan.reads': '扫码枪实时读数',
    'scan.noReads': '暂无读数',
    'scan.useRead': '填入',
    'scan.devicesError': '设备状态读取失败：{msg}',

    'dev.ok': '正常',
    'dev.disconnected': '未连接',
    'dev.reconnecting': '重连中',
    'dev.fault': '故障',

    'read.saved': '已记录',
    'read.duplicate': '重复',
    'read.rejected': '无效',
    'read.error': '错误',

    'pickup.title': '取件',
    'pickup.find': '查找包裹',
    'pickup.query': '取件码或运单号',
    'pickup.phone4': '手机尾号后 4 位（可选）',
    'pickup.search': '查找',
    'pickup.results': '找到 {n} 件',
    'pickup.noResult': '没有找到在库包裹',
    'pickup.select': '选择',
    'pickup.selected': '当前包裹',
    'pickup.none': '请先查找并选择包裹',
    'pickup.idCheck': '身份核验',
    'idc.code_only': '仅取件码',
    'idc.id_card': '身份证',
    'idc.app': 'App 验证',
    'pickup.signer': '签收人',
    'signer.recipient': '本人',
    'signer.agent': '代领人',
    'pickup.agentName': '代领人姓名',
    'pickup.signHere': '请客户在此签名',
    'pickup.undo': '撤销一笔',
    'pickup.clear': '清除签名',
    'pickup.confirm': '确认签收',
    'pickup.done': '{waybill} 已签收',
    'pickup.refuse': '拒收',
    'pickup.refuseReason': '拒收原因',
    'pickup.refuseConfirm': '确认拒收',
    'pickup.refused': '{waybill} 已拒收',
    'pickup.staffNote': '签名须由收件人或代领人本人完成，员工不得代签。',

    'exc.title': '异常件登记',
    'exc.waybill': '运单号',
    'exc.kind': '异常类型',
    'exc.note': '说明',
    'exc.photos': '照片（可选，JPEG/PNG）',
    'exc.choosePhotos': '选择照片',
    'exc.noPhoto': '未选择照片',
    'exc.submit': '登记异常',
    'exc.done': '已登记异常件：{waybill}（{kind}）',
    'exc.open': '处理中的异常件 {n}',
    'exc.owner': '首问负责人',
    'exc.amount': '金额（元）',
    'exc.approved': '批准理赔',
    'exc.claim': '理赔',
    'exc.photoCount': '{n} 张照片',
    'exc.claimOpen': '处理中',
    'exc.claimApproved': '已批准',
    'exc.claimRefused': '未批准',
    'kind.damaged': '破损',
    'kind.lost': '丢失',
    'kind.delayed': '延误',
    'kind.refused': '拒收',
    'kind.address_problem': '地址问题',
    'kind.wrong_phone': '电话错误',
    'kind.mis_sorted': '错分',
    'kind.overdue': '滞留',
    'kind.prohibited': '违禁品',
    'kind.other': '其他',
    'xstate.reported': '已登记',
    'xstate.handling': '处理中',
    'xstate.customer_informed': '已告知客户',
    'xstate.claim_open': '理赔中',
    'xstate.claim_decided': '理赔已决定',
    'xstate.closed': '已关闭',
    'xstep.start_handling': '开始处理',
    'xstep.inform_customer': '告知客户',
    'xstep.open_claim': '发起理赔',
    'xstep.decide_claim': '理赔决定',
    'xstep.close': '关闭',
    'xstep.assign': '转交负责人',
    'xstep.flag_suspected_loss': '标记疑似丢失',

    'cmp.title': '投诉与反馈登记',
    'cmp.channel': '渠道',
    'cmp.type': '类型',
    'cmp.category': '类别',
    'cmp.severity': '级别',
    'cmp.phone': '客户手机号',
    'cmp.name': '客户姓名（可选）',
    'cmp.waybill': '运单号（可选）',
    'cmp.text': '客户反映内容',
    'cmp.notice': '关联通告（可选）',
    'cmp.submit': '登记',
    'cmp.done': '已登记，工单号 {ticket}',
    'cmp.receipt': '回执已送打印机',
    'cmp.open': '未结投诉 {n}',
    'cmp.firstReply': '首次答复',
    'cmp.result': '处理结果',
    'cmp.left': '剩余 {t}',
    'cmp.breached': '已超时 {t}',
    'cmp.met': '已按时完成',
    'cmp.metLate': '已完成，超时 {t}',
    'cmp.by': '截止 {at}',
    'cmp.owner': '负责人工号',
    'cmp.reason': '升级原因',
    'cmp.noteFor': '备注 / 答复内容',
    'cmp.templates': '答复模板建议',
    'cmp.noTemplates': '没有匹配的模板',
    'cmp.satisfaction': '满意度',
    'cmp.days': '{d}天',
    'ch.counter': '柜台',
    'ch.phone': '电话',
    'ch.online': '网上',
    'ch.app': 'App',
    'ch.social': '社交媒体',
    'ctype.complaint': '投诉',
    'ctype.suggestion': '建议',
    'ctype.praise': '表扬',
    'cat.delay': '延误',
    'cat.loss': '丢失',
    'cat.damage': '破损/内件短少',
    'cat.attitude': '服务态度',
    'cat.fees': '收费',
    'cat.privacy': '隐私',
    'cat.other': '其他',
    'sev.routine': '一般',
    'sev.major': '重大',
    'cstate.received': '已受理',
    'cstate.acknowledged': '已答复',
    'cstate.investigating': '调查中',
    'cstate.responsibility_decided': '已定责',
    'cstate.solution_proposed': '已提方案',
    'cstate.customer_agreed': '客户已同意',
    'cstate.carried_out': '已执行',
    'cstate.followed_up': '已回访',
    'cstate.closed': '已关闭',
    'cstep.acknowledge': '首次答复',
    'cstep.investigate': '开始调查',
    'cstep.decide_responsibility': '判定责任',
    'cstep.propose_solution': '提出方案',
    'cstep.customer_agrees': '客户同意',
    'cstep.carry_out': '执行方案',
    'cstep.follow_up': '回访',
    'cstep.close': '关闭',
    'cstep.assign': '转交负责人',
    'cstep.escalate': '升级',
    'cstep.attach_notice': '关联通告',

    'ntc.title': '特殊时期通告',
    'ntc.none': '当前没有生效的通告',
    'ntc.faq': '常见问题',
    'ntc.ack': '我已阅读',
    'ntc.acked': '已确认阅读',
    'ntc.valid': '有效期 {from} — {to}',
    'ntc.more': '查看',
    'ntc.ended': '已结束',
    'nsev.info': '提示',
    'nsev.warning': '注意',
    'nsev.critical': '紧急',

    'status.inbound': '已入库',
    'status.in_stock': '在库',
    'status.picked_up': '已取件',
    'status.refused': '已拒收',
    'status.overdue': '滞留',
    'status.returning': '退回中',
    'nav.handover': '交接',
    'nav.dispatch': '派送',
    'nav.returns': '退回',
    'nav.sending': '收寄',
    'status.out_for_delivery': '派送中',
    'status.delivered': '已妥投',
    'status.unknown': '未找到',

    'ho.title': '快递员交接',
    'ho.pickManifests': '选择派件清单',
    'ho.noManifests': '尚未收到总部的派件清单',
    'ho.noManifestHint': '没有清单的快递员也可以交接：不勾选清单，扫到的包裹都记为多出。',
    'ho.waybillCount': '{n} 件',
    'ho.expectedAt': '预计 {at}',
    'ho.courier': '快递员（工号或姓名）',
    'ho.courierHint': '勾选清单后自动填入',
    'ho.open': '开始交接',
    'ho.openSessions': '进行中的交接 {n}',
    'ho.recent': '最近完成',
    'ho.countsLine': '应到 {expected} · 已扫 {scanned} · 缺 {missing} · 多 {extra} · 重复 {duplicates}',
    'ho.resume': '继续交接',
    'ho.view': '查看',
    'ho.back': '返回列表',
    'ho.courierIs': '快递员 {who}',
    'ho.noManifest': '无清单',
    'ho.manifestsAre': '清单 {ids}',
    'ho.unknownManifests': '清单未到：{ids}',
    'ho.scanHere': '逐件扫描包裹',
    'ho.expected': '应到',
    'ho.scanned': '已扫',
    'ho.missing': '缺少',
    'ho.extra': '多出',
    'ho.duplicates': '重复扫描',
    'ho.missingList': '缺少的包裹 {n}',
    'ho.extraList': '多出的包裹 {n}',
    'ho.scan.matched': '清单内',
    'ho.scan.extra': '不在清单内',
    'ho.scan.duplicate': '重复扫描',
    'ho.signatures': '双方签字',
    'ho.courierSigner': '快递员签字人',
    'ho.courierSigns': '快递员在此签名',
    'ho.clerkSignature': '店员签名',
    'ho.clerkSigns': '店员 {who} 在此签名',
    'ho.closeNote': '签字后结束交接：缺少的记为疑似丢失，多出的记为错分。',
    'ho.close': '签字并结束交接',
    'ho.err.courierSign': '请快递员签名。',
    'ho.err.clerkSign': '请店员签名。',
    'ho.closed': '交接已结束，生成异常件 {n} 件',
    'ho.exceptions': '生成的异常件 {n}',
    'ho.noExceptions': '无异常，清单全部到齐',
    'ho.new': '新的交接',
    'hstate.open': '进行中',
    'hstate.closed': '已结束',

    'dsp.title': '出库派送',
    'dsp.scan': '扫描出库包裹',
    'dsp.batch': '本批 {n} 件',
    'dsp.scanHint': '扫描在库包裹加入本批',
    'dsp.remove': '移除',
    'dsp.already': '{waybill} 已在本批',
    'dsp.empty': '本批还没有包裹。',
    'dsp.courier': '快递员工号',
    'dsp.courierName': '快递员姓名（可选）',
    'dsp.courierSigns': '快递员签收本批包裹',
    'dsp.err.sign': '请快递员签名。',
    'dsp.note': '整批由快递员签字一次，店员不得代签。',
    'dsp.submit': '签字出库',
    'dsp.done': '{who} 已签收 {n} 件出库（批次 {id}）',
    'dsp.today': '今日派送批次',
    'dsp.counts': '共 {parcels} · 在途 {open} · 妥投 {delivered} · 退回 {returned}',
    'dsp.stillOut': '在途 {n}',
    'dsp.openAtEnd': '营业结束仍未妥投或退回：{n} 件',
    'dstate.out': '在途',
    'dstate.delivered': '妥投',
    'dstate.returned': '退回',

    'ret.title': '派送结果登记',
    'ret.scan': '扫描带回或已妥投的包裹',
    'ret.none': '请扫描派送中的包裹',
    'ret.notFound': '没有找到包裹 {waybill}',
    'ret.outcome': '结果',
    'ret.outcome.undelivered': '未妥投退回',
    'ret.outcome.delivered': '已妥投',
    'ret.reason': '未妥投原因',
    'ret.disposition': '处理方式',
    'ret.note': '备注（可选）',
    'ret.submit': '登记退回',
    'ret.proofSigner': '签收人',
    'ret.proofSigns': '签收凭证：签收人签名',
    'ret.deliveredSubmit': '登记妥投',
    'ret.result': '登记结果',
    'ret.done': '{waybill} 已退回：{reason}',
    'ret.newCode': '新取件码',
    'ret.toSender': '转退件流程',
    'ret.deliveredDone': '{waybill} 已登记妥投',
    'ret.hint': '重新上架的包裹生成新取件码，原取件码作废；退回寄件人的包裹进入退件流程。',
    'reason.recipient_absent': '收件人不在',
    'reason.refused': '拒收',
    'reason.address_wrong': '地址错误',
    'reason.address_incomplete': '地址不全',
    'reason.phone_unreachable': '电话无法接通',
    'reason.outside_area': '超区',
    'disp.restock': '重新上架',
    'disp.return': '退回寄件人',

    'send.title': '收寄',
    'send.left': '剩余运单号 {n}',
    'send.noNumbers': '尚无运单号段',
    'send.sender': '寄件人（实名登记）',
    'send.recipient': '收件人',
    'send.name': '姓名',
    'send.phone': '手机号',
    'send.idType': '证件类型',
    'send.idNumber': '证件号码',
    'send.address': '详细地址',
    'send.dest': '目的地代码',
    'send.item': '物品',
    'send.items': '内件品名',
    'send.prohibited': '禁限寄物品确认（逐项确认）',
    'send.absent': '未夹带',
    'send.present': '有此物品',
    'send.cannotSend': '不能收寄：包裹内有 {items}',
    'send.confirmAll': '请逐项确认未夹带：{items}',
    'send.noList': '尚未收到禁限寄清单，暂不能收寄',
    'send.weight': '称重与计费',
    'send.readScale': '读秤 · {name}',
    'send.noScale': '未配置电子秤，请手动输入重量',
    'send.weightKg': '重量（kg）',
    'send.manual': '手动输入',
    'send.fromScale': '来自电子秤 {name}',
    'send.length': '长（cm）',
    'send.width': '宽（cm）',
    'send.height': '高（cm）',
    'send.declared': '声明价值（元）',
    'send.insured': '保价',
    'send.quote': '计价',
    'send.total': '合计',
    'send.quoteInfo': '实重 {w} · 计费重 {c} · 区域 {zone} · 价目表 {v}',
    'send.submit': '确认收寄并打印面单',
    'send.done': '已收寄',
    'send.number': '运单号',
    'send.parties': '寄 {s} → 收 {r}',
    'send.labelPrinted': '面单已送打印机 · 任务 #{job}',
    'send.noLabel': '面单未打印（未配置面单打印）',
    'idt.resident_id': '居民身份证',
    'idt.passport': '护照',
    'idt.other': '其他证件',
    'item.documents': '文件',
    'item.clothing': '衣物',
    'item.electronics': '电子产品',
    'item.fragile': '易碎品',
    'item.food': '食品',
    'item.cosmetics': '化妆品',
    'item.other': '其他',
    'rule.forbidden': '禁寄',
    'rule.restricted': '限寄',
  },
  en: {
    'app.name': 'Yizhan',
    'lang.switch': '中文',
    'nav.scan': 'Scan in',
    'nav.pickup': 'Pickup',
    'nav.exceptions': 'Exceptions',
    'nav.complaints': 'Complaints',
    'nav.notices': 'Notices',
    'logout': 'Log out',
    'role.clerk': 'clerk',
    'role.supervisor': 'supervisor',
    'close': 'Close',
    'cancel': 'Cancel',
    'confirm': 'Confirm',
    'none': 'none',
    'loading': 'Loading…',
    'empty': 'Nothing yet',
    'refresh': 'Refresh',

    'sync.online': 'Online',
    'sync.offline': 'Offline',
    'sync.backlog': '{n} to sync',
    'sync.dead': '{n} refused',
    'sync.unreachable': 'Agent not answering',
    'sync.title': 'Sync with head office',

    'err.network': 'Cannot reach the outlet agent; check that yizhan-agent is running.',
    'err.session': 'Your session has ended; please log in again.',
    'err.http': 'Request failed (HTTP {status})',
    'err.required': 'Please fill in: {field}',
    'err.sign': 'Ask the customer to sign on the pad.',
    'err.agentName': 'Enter the name of the person collecting on the recipient\'s behalf.',
    'err.photoSize': 'Photo {name} is larger than {mb} MB; please shrink it.',
    'err.photoType': '{name} is not a JPEG or PNG image.',

    'login.title': 'Staff login',
    'login.staff': 'Staff ID',
    'login.pin': 'PIN',
    'login.submit': 'Log in',
    'login.clear': 'Clear',
    'login.back': 'Back',
    'login.hint': 'Use the keypad or the keyboard; Enter logs in.',

    'scan.title': 'Scan in',
    'scan.barcode': 'Waybill (scan)',
    'scan.barcodeHint': 'Scan or type, then Enter',
    'scan.phone': 'Recipient phone',
    'scan.name': 'Recipient name (optional)',
    'scan.shelf': 'Shelf',
    'scan.layer': 'Layer',
    'scan.sameCity': 'Same city',
    'scan.submit': 'Check in and shelve',
    'scan.phoneNext': 'Enter the phone number, then Enter',
    'scan.done': 'Checked in',
    'scan.code': 'Pickup code',
    'scan.labelPrinted': 'Shelf label sent to the printer',
    'scan.labelJob': 'job #{job}',
    'scan.today': 'In stock today: {n}',
    'scan.devices': 'Devices',
    'scan.noDevices': 'No scanner or printer configured',
    'scan.reads': 'Live scanner reads',
    'scan.noReads': 'No reads yet',
    'scan.useRead': 'Use',
    'scan.devicesError': 'Cannot read device status: {msg}',

    'dev.ok': 'OK',
    'dev.disconnected': 'disconnected',
    'dev.reconnecting': 'reconnecting',
    'dev.fault': 'fault',

    'read.saved': 'saved',
    'read.duplicate': 'duplicate',
    'read.rejected': 'rejected',
    'read.error': 'error',

    'pickup.title': 'Pickup',
    'pickup.find': 'Find the parcel',
    'pickup.query': 'Pickup code or waybill',
    'pickup.phone4': 'Phone last 4 digits (optional)',
    'pickup.search': 'Find',
    'pickup.results': '{n} found',
    'pickup.noResult': 'No parcel in stock matches',
    'pickup.select': 'Select',
    'pickup.selected': 'Parcel',
    'pickup.none': 'Find and select a parcel first',
    'pickup.idCheck': 'Identity check',
    'idc.code_only': 'Code only',
    'idc.id_card': 'ID card',
    'idc.app': 'App',
    'pickup.signer': 'Signed by',
    'signer.recipient': 'Recipient',
    'signer.agent': 'Named agent',
    'pickup.agentName': 'Agent\'s name',
    'pickup.signHere': 'Customer signs here',
    'pickup.undo': 'Undo stroke',
    'pickup.clear': 'Clear',
    'pickup.confirm': 'Confirm pickup',
    'pickup.done': '{waybill} picked up',
    'pickup.refuse': 'Refuse',
    'pickup.refuseReason': 'Reason for refusal',
    'pickup.refuseConfirm': 'Confirm refusal',
    'pickup.refused': '{waybill} refused',
    'pickup.staffNote': 'Only the recipient or their named agent may sign; staff never sign.',

    'exc.title': 'Report an exception parcel',
    'exc.waybill': 'Waybill',
    'exc.kind': 'Kind',
    'exc.note': 'Note',
    'exc.photos': 'Photos (optional, JPEG/PNG)',
    'exc.choosePhotos': 'Choose photos',
    'exc.noPhoto': 'No photo chosen',
    'exc.submit': 'Report',
    'exc.done': 'Exception reported: {waybill} ({kind})',
    'exc.open': 'Open exceptions: {n}',
    'exc.owner': 'Owner',
    'exc.amount': 'Amount (CNY)',
    'exc.approved': 'Approve claim',
    'exc.claim': 'Claim',
    'exc.photoCount': '{n} photos',
    'exc.claimOpen': 'open',
    'exc.claimApproved': 'approved',
    'exc.claimRefused': 'refused',
    'kind.damaged': 'Damaged',
    'kind.lost': 'Lost',
    'kind.delayed': 'Delayed',
    'kind.refused': 'Refused',
    'kind.address_problem': 'Address problem',
    'kind.wrong_phone': 'Wrong phone',
    'kind.mis_sorted': 'Mis-sorted',
    'kind.overdue': 'Overdue',
    'kind.prohibited': 'Prohibited item',
    'kind.other': 'Other',
    'xstate.reported': 'reported',
    'xstate.handling': 'handling',
    'xstate.customer_informed': 'customer informed',
    'xstate.claim_open': 'claim open',
    'xstate.claim_decided': 'claim decided',
    'xstate.closed': 'closed',
    'xstep.start_handling': 'Start handling',
    'xstep.inform_customer': 'Inform customer',
    'xstep.open_claim': 'Open claim',
    'xstep.decide_claim': 'Decide claim',
    'xstep.close': 'Close',
    'xstep.assign': 'Assign owner',
    'xstep.flag_suspected_loss': 'Flag suspected loss',

    'cmp.title': 'Record a complaint or feedback',
    'cmp.channel': 'Channel',
    'cmp.type': 'Type',
    'cmp.category': 'Category',
    'cmp.severity': 'Severity',
    'cmp.phone': 'Customer phone',
    'cmp.name': 'Customer name (optional)',
    'cmp.waybill': 'Waybill (optional)',
    'cmp.text': 'What the customer says',
    'cmp.notice': 'Related notice (optional)',
    'cmp.submit': 'Record',
    'cmp.done': 'Recorded, ticket {ticket}',
    'cmp.receipt': 'Receipt sent to the printer',
    'cmp.open': 'Open complaints: {n}',
    'cmp.firstReply': 'First reply',
    'cmp.result': 'Result',
    'cmp.left': '{t} left',
    'cmp.breached': 'overdue by {t}',
    'cmp.met': 'done in time',
    'cmp.metLate': 'done, {t} late',
    'cmp.by': 'due {at}',
    'cmp.owner': 'Owner staff ID',
    'cmp.reason': 'Reason to escalate',
    'cmp.noteFor': 'Note / reply text',
    'cmp.templates': 'Suggested replies',
    'cmp.noTemplates': 'No matching template',
    'cmp.satisfaction': 'Satisfaction',
    'cmp.days': '{d}d',
    'ch.counter': 'Counter',
    'ch.phone': 'Phone',
    'ch.online': 'Online',
    'ch.app': 'App',
    'ch.social': 'Social media',
    'ctype.complaint': 'Complaint',
    'ctype.suggestion': 'Suggestion',
    'ctype.praise': 'Praise',
    'cat.delay': 'Delay',
    'cat.loss': 'Loss',
    'cat.damage': 'Damage / missing contents',
    'cat.attitude': 'Attitude',
    'cat.fees': 'Fees',
    'cat.privacy': 'Privacy',
    'cat.other': 'Other',
    'sev.routine': 'Routine',
    'sev.major': 'Major',
    'cstate.received': 'received',
    'cstate.acknowledged': 'acknowledged',
    'cstate.investigating': 'investigating',
    'cstate.responsibility_decided': 'responsibility decided',
    'cstate.solution_proposed': 'solution proposed',
    'cstate.customer_agreed': 'customer agreed',
    'cstate.carried_out': 'carried out',
    'cstate.followed_up': 'followed up',
    'cstate.closed': 'closed',
    'cstep.acknowledge': 'First reply',
    'cstep.investigate': 'Investigate',
    'cstep.decide_responsibility': 'Decide responsibility',
    'cstep.propose_solution': 'Propose solution',
    'cstep.customer_agrees': 'Customer agrees',
    'cstep.carry_out': 'Carry out',
    'cstep.follow_up': 'Follow-up call',
    'cstep.close': 'Close',
    'cstep.assign': 'Assign owner',
    'cstep.escalate': 'Escalate',
    'cstep.attach_notice': 'Attach notice',

    'ntc.title': 'Special-period notices',
    'ntc.none': 'No notice in force',
    'ntc.faq': 'FAQ',
    'ntc.ack': 'I have read this',
    'ntc.acked': 'Acknowledged',
    'ntc.valid': 'Valid {from} — {to}',
    'ntc.more': 'Open',
    'ntc.ended': 'ended',
    'nsev.info': 'Info',
    'nsev.warning': 'Warning',
    'nsev.critical': 'Critical',

    'status.inbound': 'checked in',
    'status.in_stock': 'in stock',
    'status.picked_up': 'picked up',
    'status.refused': 'refused',
    'status.overdue': 'overdue',
    'status.returning': 'returning',
    'nav.handover': 'Handover',
    'nav.dispatch': 'Dispatch',
    'nav.returns': 'Returns',
    'nav.sending': 'Sending',
    'status.out_for_delivery': 'out for delivery',
    'status.delivered': 'delivered',
    'status.unknown': 'not found',

    'ho.title': 'Courier handover',
    'ho.pickManifests': 'Choose the manifests',
    'ho.noManifests': 'No manifest from head office yet',
    'ho.noManifestHint': 'A courier without a manifest can hand over too: tick none, and every parcel scanned counts as extra.',
    'ho.waybillCount': '{n} parcels',
    'ho.expectedAt': 'expected {at}',
    'ho.courier': 'Courier (ID or name)',
    'ho.courierHint': 'filled in from the manifest',
    'ho.open': 'Start handover',
    'ho.openSessions': 'Open handovers: {n}',
    'ho.recent': 'Recently closed',
    'ho.countsLine': 'expected {expected} · scanned {scanned} · missing {missing} · extra {extra} · repeats {duplicates}',
    'ho.resume': 'Resume',
    'ho.view': 'View',
    'ho.back': 'Back to list',
    'ho.courierIs': 'Courier {who}',
    'ho.noManifest': 'no manifest',
    'ho.manifestsAre': 'manifest {ids}',
    'ho.unknownManifests': 'manifest not here yet: {ids}',
    'ho.scanHere': 'Scan each parcel',
    'ho.expected': 'Expected',
    'ho.scanned': 'Scanned',
    'ho.missing': 'Missing',
    'ho.extra': 'Extra',
    'ho.duplicates': 'Repeat scans',
    'ho.missingList': 'Missing parcels: {n}',
    'ho.extraList': 'Extra parcels: {n}',
    'ho.scan.matched': 'on the manifest',
    'ho.scan.extra': 'not on the manifest',
    'ho.scan.duplicate': 'scanned already',
    'ho.signatures': 'Both sign',
    'ho.courierSigner': 'Courier signing',
    'ho.courierSigns': 'Courier signs here',
    'ho.clerkSignature': 'Clerk\'s signature',
    'ho.clerkSigns': 'Clerk {who} signs here',
    'ho.closeNote': 'Closing raises exceptions: missing parcels as suspected lost, extra ones as mis-sorted.',
    'ho.close': 'Sign and close',
    'ho.err.courierSign': 'Ask the courier to sign.',
    'ho.err.clerkSign': 'The clerk must sign.',
    'ho.closed': 'Handover closed; {n} exceptions raised',
    'ho.exceptions': 'Exceptions raised: {n}',
    'ho.noExceptions': 'None: everything on the manifests arrived',
    'ho.new': 'New handover',
    'hstate.open': 'open',
    'hstate.closed': 'closed',

    'dsp.title': 'Out for delivery',
    'dsp.scan': 'Scan parcels going out',
    'dsp.batch': 'This batch: {n}',
    'dsp.scanHint': 'Scan parcels in stock to add them',
    'dsp.remove': 'Remove',
    'dsp.already': '{waybill} is in the batch already',
    'dsp.empty': 'The batch is empty.',
    'dsp.courier': 'Courier ID',
    'dsp.courierName': 'Courier name (optional)',
    'dsp.courierSigns': 'The courier signs for this batch',
    'dsp.err.sign': 'Ask the courier to sign.',
    'dsp.note': 'The courier signs once for the batch; staff never sign for them.',
    'dsp.submit': 'Sign and dispatch',
    'dsp.done': '{who} signed for {n} parcels (batch {id})',
    'dsp.today': 'Today\'s batches',
    'dsp.counts': '{parcels} parcels · {open} out · {delivered} delivered · {returned} returned',
    'dsp.stillOut': '{n} out',
    'dsp.openAtEnd': 'Still out after the day\'s end: {n}',
    'dstate.out': 'out',
    'dstate.delivered': 'delivered',
    'dstate.returned': 'returned',

    'ret.title': 'Delivery results',
    'ret.scan': 'Scan a parcel brought back or delivered',
    'ret.none': 'Scan a parcel that is out for delivery',
    'ret.notFound': 'No parcel {waybill}',
    'ret.outcome': 'Result',
    'ret.outcome.undelivered': 'Not delivered',
    'ret.outcome.delivered': 'Delivered',
    'ret.reason': 'Why not delivered',
    'ret.disposition': 'What next',
    'ret.note': 'Note (optional)',
    'ret.submit': 'Record the return',
    'ret.proofSigner': 'Signed by',
    'ret.proofSigns': 'Proof: the recipient\'s signature',
    'ret.deliveredSubmit': 'Record delivery',
    'ret.result': 'Result',
    'ret.done': '{waybill} back: {reason}',
    'ret.newCode': 'New pickup code',
    'ret.toSender': 'Return to sender',
    'ret.deliveredDone': '{waybill} recorded as delivered',
    'ret.hint': 'A restocked parcel gets a new pickup code and the old one stops working; a parcel returned to the sender goes into the return flow.',
    'reason.recipient_absent': 'Recipient absent',
    'reason.refused': 'Refused',
    'reason.address_wrong': 'Wrong address',
    'reason.address_incomplete': 'Incomplete address',
    'reason.phone_unreachable': 'Phone unreachable',
    'reason.outside_area': 'Outside the area',
    'disp.restock': 'Back on the shelf',
    'disp.return': 'Return to sender',

    'send.title': 'Send a parcel',
    'send.left': '{n} waybill numbers left',
    'send.noNumbers': 'No waybill numbers yet',
    'send.sender': 'Sender (real-name registration)',
    'send.recipient': 'Recipient',
    'send.name': 'Name',
    'send.phone': 'Phone',
    'send.idType': 'ID type',
    'send.idNumber': 'ID number',
    'send.address': 'Address',
    'send.dest': 'Destination code',
    'send.item': 'Contents',
    'send.items': 'What is inside',
    'send.prohibited': 'Prohibited items: confirm each',
    'send.absent': 'Not in the parcel',
    'send.present': 'Present',
    'send.cannotSend': 'Cannot send: the parcel holds {items}',
    'send.confirmAll': 'Confirm each item is not in the parcel: {items}',
    'send.noList': 'No prohibited-items list from head office yet: sending is not possible',
    'send.weight': 'Weight and price',
    'send.readScale': 'Read scale · {name}',
    'send.noScale': 'No scale configured: type the weight',
    'send.weightKg': 'Weight (kg)',
    'send.manual': 'typed',
    'send.fromScale': 'from scale {name}',
    'send.length': 'Length (cm)',
    'send.width': 'Width (cm)',
    'send.height': 'Height (cm)',
    'send.declared': 'Declared value (CNY)',
    'send.insured': 'Insure',
    'send.quote': 'Price',
    'send.total': 'Total',
    'send.quoteInfo': 'weight {w} · charged {c} · zone {zone} · tariff {v}',
    'send.submit': 'Accept and print the label',
    'send.done': 'Accepted',
    'send.number': 'Waybill',
    'send.parties': 'from {s} → to {r}',
    'send.labelPrinted': 'Waybill label sent to the printer · job #{job}',
    'send.noLabel': 'No label printed (no waybill printer set up)',
    'idt.resident_id': 'Resident ID',
    'idt.passport': 'Passport',
    'idt.other': 'Other document',
    'item.documents': 'Documents',
    'item.clothing': 'Clothing',
    'item.electronics': 'Electronics',
    'item.fragile': 'Fragile',
    'item.food': 'Food',
    'item.cosmetics': 'Cosmetics',
    'item.other': 'Other',
    'rule.forbidden': 'forbidden',
    'rule.restricted': 'restricted',
  },
};

// Vocabularies of the API (docs/AGENT-API.md); labels come from I18N.
const KINDS = ['damaged', 'lost', 'delayed', 'refused', 'address_problem', 'wrong_phone', 'mis_sorted', 'overdue', 'prohibited', 'other'];
const CHANNELS = ['counter', 'phone', 'online', 'app', 'social'];
const CTYPES = ['complaint', 'suggestion', 'praise'];
const CATEGORIES = ['delay', 'loss', 'damage', 'attitude', 'fees', 'privacy', 'other'];
const SEVERITIES = ['routine', 'major'];
const ID_CHECKS = ['code_only', 'id_card', 'app'];
const SIGNERS = ['recipient', 'agent'];

const KEY_LANG = 'yz.lang';
const KEY_TOKEN = 'yz.token';
const KEY_STAFF = 'yz.staff';
const KEY_SHELF = 'yz.shelf';
const KEY_LAYER = 'yz.layer';

let lang = localStorage.getItem(KEY_LANG) === 'en' ? 'en' : 'zh';

// t looks a key up in the current language, falling back to Chinese, and
// fills {name} placeholders from vars.
function t(key, vars) {
  let s = I18N[lang][key] ?? I18N.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// label names a value of an API vocabulary (a state, a step, a kind). A value
// the screen does not know yet, from a newer agent, shows as itself rather
// than as a dictionary key.
function label(prefix, value) {
  const key = prefix + value;
  return key in I18N[lang] || key in I18N.zh ? t(key) : String(value ?? '');
}

// A tiny self-check: keys present in one language and not the other. The
// browser test reads it; a gap shows up as a raw key on screen otherwise.
window.yzI18nGaps = () => {
  const zh = Object.keys(I18N.zh), en = Object.keys(I18N.en);
  return zh.filter((k) => !(k in I18N.en)).concat(en.filter((k) => !(k in I18N.zh)));
};

// ---------------------------------------------------------------------------
// DOM helpers

const $ = (sel, root = document) => root.querySelector(sel);

// Properties set as properties, not attributes, so they reflect live state.
const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple']);

// h builds an element: h('button', {class: 'btn', onclick: f}, 'label').
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// field wraps a control with its label.
function field(label, control, extra) {
  return h('label', { class: 'field' + (extra ? ' ' + extra : '') }, h('span', { class: 'field-label' }, label), control);
}

// choice is a row of big toggle buttons backed by a hidden value; touch
// friendlier than a <select> for short lists.
function choice(name, values, labelPrefix, initial, onchange) {
  const row = h('div', { class: 'choice', role: 'radiogroup', 'data-name': name });
  row.value = initial;
  for (const v of values) {
    const b = h('button', {
      type: 'button', class: 'choice-btn', role: 'radio', 'data-value': v,
      onclick: () => { row.value = v; sync(); onchange?.(v); },
    }, t(labelPrefix + v));
    row.append(b);
  }
  const sync = () => {
    for (const b of row.children) {
      const on = b.dataset.value === row.value;
      b.classList.toggle('on', on);
      b.setAttribute('aria-checked', on ? 'true' : 'false');
    }
  };
  sync();
  return row;
}

function select(name, values, labelPrefix, initial) {
  return h('select', { name }, values.map((v) => h('option', { value: v, selected: v === initial }, t(labelPrefix + v))));
}

// toDate reads the API's times: RFC 3339 strings, or Unix milliseconds in
// the folded lifecycle records.
function toDate(v) {
  return new Date(typeof v === 'number' ? v : String(v));
}

function fmtTime(v) {
  if (!v) return '';
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

function fmtClock(v) {
  if (!v) return '';
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// fmtDuration renders seconds as "2天 03:04:05" / "2d 03:04:05".
function fmtDuration(sec) {
  sec = Math.abs(Math.trunc(sec));
  const d = Math.floor(sec / 86400);
  const hh = String(Math.floor((sec % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((sec % 3600) / 60)).padStart(2, '0');
  const ss = String(sec % 60).padStart(2, '0');
  return (d > 0 ? t('cmp.days', { d }) + ' ' : '') + `${hh}:${mm}:${ss}`;
}

// ---------------------------------------------------------------------------
// Banners

function showError(err) {
  const msg = err instanceof Error ? err.message : String(err);
  $('#error-text').textContent = msg;
  $('#error-banner').hidden = false;
  $('#info-banner').hidden = true;
}

function clearError() {
  $('#error-banner').hidden = true;
  $('#error-text').textContent = '';
}

function showInfo(msg) {
  const b = $('#info-banner');
  b.textContent = msg;
  b.hidden = false;
}

// ---------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api calls the agent and returns the decoded JSON. Any 401 other than a
// failed login ends the session and returns to the login page.
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = sessionStorage.getItem(KEY_TOKEN);
  if (token) headers.Authorization = 'Bearer ' + token;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', t('err.network'));
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : {}; } catch { data = null; }
  const isLogin = method === 'POST' && path === '/api/v1/session';
  if (resp.status === 401 && !isLogin) {
    endSession(t('err.session'));
    throw new ApiError(401, 'unauthorized', t('err.session'));
  }
  if (!resp.ok) {
    const msg = data?.error || t('err.http', { status: resp.status });
    throw new ApiError(resp.status, data?.code, msg);
  }
  return data ?? {};
}

// ---------------------------------------------------------------------------
// Session

function currentStaff() {
  try { return JSON.parse(sessionStorage.getItem(KEY_STAFF) || 'null'); } catch { return null; }
}

function loggedIn() {
  return Boolean(sessionStorage.getItem(KEY_TOKEN));
}

// loginReason is shown on the login page once it has rendered: changing the
// route clears the banner, so the reason must outlive the hashchange.
let loginReason = null;

function endSession(reason) {
  sessionStorage.removeItem(KEY_TOKEN);
  sessionStorage.removeItem(KEY_STAFF);
  if (location.hash !== '#/login') {
    loginReason = reason || null;
    location.hash = '#/login';
  } else if (reason) {
    showError(reason);
  }
  renderHeader();
}

async function logout() {
  try { await api('DELETE', '/api/v1/session'); } catch { /* the token is dropped either way */ }
  endSession();
}

// ---------------------------------------------------------------------------
// Timers: a page scope whose stoppers run when the page changes.

let pageScope = [];

function stopPage() {
  for (const stop of pageScope) stop();
  pageScope = [];
}

// poll runs fn now and then ms after each run finishes, so a slow agent never
// gets overlapping requests.
function poll(fn, ms, scope) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    try { await fn(); } catch { /* fn reports its own errors */ }
    if (!stopped) timer = setTimeout(run, ms);
  };
  run();
  const stop = () => { stopped = true; clearTimeout(timer); };
  scope?.push(stop);
  return stop;
}

// ---------------------------------------------------------------------------
// Header: navigation, sync indicator, notices banner

const PAGES = ['scan', 'pickup', 'handover', 'dispatch', 'returns', 'sending', 'exceptions', 'complaints', 'notices'];

function renderHeader() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.name') + ' · Yizhan';
  $('#brand-name').textContent = t('app.name');
  $('#lang').textContent = t('lang.switch');
  const nav = $('#nav');
  const staff = currentStaff();
  const route = currentRoute();
  nav.hidden = !loggedIn();
  nav.replaceChildren(...PAGES.map((p) => h('a', {
    href: '#/' + p, class: 'nav-link' + (route === p ? ' on' : ''), id: 'nav-' + p,
  }, t('nav.' + p))));
  $('#who').textContent = staff ? `${staff.name || staff.id} · ${label('role.', staff.role)}` : '';
  const out = $('#logout');
  out.hidden = !loggedIn();
  out.textContent = t('logout');
}

let lastSync = null;

async function refreshSync() {
  const el = $('#sync');
  el.title = t('sync.title');
  try {
    lastSync = await api('GET', '/api/v1/sync');
  } catch {
    lastSync = null;
  }
  renderSync();
}

function renderSync() {
  const el = $('#sync');
  const s = lastSync;
  if (!s) {
    el.className = 'sync sync-down';
    el.replaceChildren(h('span', { class: 'dot' }), t('sync.unreachable'));
    return;
  }
  const parts = [h('span', { class: 'dot' }), h('b', { id: 'sync-state' }, s.connected ? t('sync.online') : t('sync.offline')),
    h('span', { id: 'sync-backlog' }, t('sync.backlog', { n: s.backlog ?? 0 }))];
  if (s.dead_letters > 0) parts.push(h('span', { class: 'sync-dead' }, t('sync.dead', { n: s.dead_letters })));
  el.className = 'sync ' + (s.connected ? 'sync-up' : 'sync-off');
  el.replaceChildren(...parts);
}

let notices = [];

async function refreshNotices() {
  if (!loggedIn()) {
    notices = [];
  } else {
    try {
      notices = (await api('GET', '/api/v1/notices?active=1')).notices || [];
    } catch {
      // Missing or failing notices must never block the counter; the
      // notices page shows the error when opened.
      return;
    }
  }
  renderNoticeBanner();
  if (currentRoute() === 'notices') renderNoticeList();
}

function renderNoticeBanner() {
  const b = $('#notice-banner');
  const live = notices.filter((n) => !n.ended);
  b.hidden = live.length === 0;
  b.replaceChildren(...live.slice(0, 2).map((n) => h('a', {
    href: '#/notices', class: 'notice-item sev-' + (n.severity || 'info'),
  }, h('b', {}, label('nsev.', (n.severity || 'info')) + ' · ' + n.title), h('span', { class: 'notice-text' }, n.text))));
}

// ---------------------------------------------------------------------------
// Router

function currentRoute() {
  const r = location.hash.replace(/^#\/?/, '').split('?')[0];
  return r || (loggedIn() ? 'scan' : 'login');
}

const RENDERERS = {
  login: renderLogin,
  scan: renderScan,
  pickup: renderPickup,
  handover: renderHandover,
  dispatch: renderDispatch,
  returns: renderReturns,
  sending: renderSending,
  exceptions: renderExceptions,
  complaints: renderComplaints,
  notices: renderNotices,
};

function route() {
  let r = currentRoute();
  if (!loggedIn() && r !== 'login') {
    location.hash = '#/login';
    return; // hashchange calls route again
  }
  if (loggedIn() && r === 'login') r = 'scan';
  if (!RENDERERS[r]) r = loggedIn() ? 'scan' : 'login';
  stopPage();
  $('#info-banner').hidden = true;
  renderHeader();
  const root = $('#page');
  root.dataset.page = r;
  root.replaceChildren();
  try {
    RENDERERS[r](root);
  } catch (e) {
    // Never a blank screen: a bug in a page still leaves a message.
    console.error(e);
    root.replaceChildren(h('p', { class: 'panel' }, String(e)));
    showError(e);
  }
  renderNoticeBanner();
}

// ---------------------------------------------------------------------------
// Login

function renderLogin(root) {
  const staff = h('input', { id: 'login-staff', name: 'staff_id', autocomplete: 'username', inputmode: 'numeric', required: true });
  const pin = h('input', { id: 'login-pin', name: 'pin', type: 'password', autocomplete: 'current-password', inputmode: 'numeric', required: true });
  let target = staff; // the field the on-screen keypad types into
  staff.addEventListener('focus', () => { target = staff; });
  pin.addEventListener('focus', () => { target = pin; });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'login-submit' }, t('login.submit'));

  const key = (label, fn, cls) => h('button', { type: 'button', class: 'key ' + (cls || ''), onclick: fn }, label);
  const type = (d) => () => { target.value += d; target.focus(); };
  const keypad = h('div', { class: 'keypad' },
    ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => key(d, type(d))),
    key(t('login.clear'), () => { target.value = ''; target.focus(); }, 'key-fn'),
    key('0', type('0')),
    key(t('login.back'), () => { target.value = target.value.slice(0, -1); target.focus(); }, 'key-fn'));

  const form = h('form', { class: 'login-form', id: 'login-form' },
    h('h1', {}, t('login.title')),
    field(t('login.staff'), staff),
    field(t('login.pin'), pin),
    submit,
    h('p', { class: 'hint' }, t('login.hint')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!staff.value.trim()) { staff.focus(); return showError(t('err.required', { field: t('login.staff') })); }
    if (!pin.value) { pin.focus(); return showError(t('err.required', { field: t('login.pin') })); }
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/session', { staff_id: staff.value.trim(), pin: pin.value });
      sessionStorage.setItem(KEY_TOKEN, res.token);
      sessionStorage.setItem(KEY_STAFF, JSON.stringify(res.staff || { id: staff.value.trim() }));
      clearError();
      location.hash = '#/scan';
      refreshNotices();
    } catch (err) {
      pin.value = '';
      pin.focus();
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });
  root.append(h('div', { class: 'login' }, form, keypad));
  staff.focus();
  if (loginReason) {
    showError(loginReason);
    loginReason = null;
  }
}

// ---------------------------------------------------------------------------
// Scan-in

function renderScan(root) {
  const barcode = h('input', { id: 'scan-barcode', name: 'barcode', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const phone = h('input', { id: 'scan-phone', name: 'phone', inputmode: 'tel', autocomplete: 'off', maxlength: 20 });
  const name = h('input', { id: 'scan-name', name: 'name', autocomplete: 'off' });
  const shelf = h('input', { id: 'scan-shelf', name: 'shelf', inputmode: 'numeric', autocomplete: 'off', value: localStorage.getItem(KEY_SHELF) || '' });
  const layer = h('input', { id: 'scan-layer', name: 'layer', inputmode: 'numeric', autocomplete: 'off', value: localStorage.getItem(KEY_LAYER) || '' });
  const sameCity = h('input', { id: 'scan-same-city', type: 'checkbox' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'scan-submit' }, t('scan.submit'));
  const result = h('div', { class: 'result', id: 'scan-result' });
  const list = h('ul', { class: 'list', id: 'scan-list' });
  const listTitle = h('h2', {}, t('scan.today', { n: 0 }));
  const devLine = h('div', { class: 'devices', id: 'scan-devices' }, t('loading'));
  const reads = h('ul', { class: 'reads', id: 'scan-reads' });

  const form = h('form', { class: 'panel scan-form', id: 'scan-form' },
    h('h1', {}, t('scan.title')),
    field(t('scan.barcode'), barcode, 'field-wide'),
    h('div', { class: 'row' }, field(t('scan.phone'), phone, 'grow'), field(t('scan.name'), name, 'grow')),
    h('div', { class: 'row' }, field(t('scan.shelf'), shelf, 'short'), field(t('scan.layer'), layer, 'short'),
      h('label', { class: 'check' }, sameCity, t('scan.sameCity')), submit),
    result);

  // A wedge scanner ends with Enter. If the phone is still missing, Enter
  // moves there instead of submitting a request that would be refused.
  barcode.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (!barcode.value.trim()) return;
    if (!phone.value.trim()) {
      phone.focus();
      showInfo(t('scan.phoneNext'));
      return;
    }
    form.requestSubmit();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const req = { barcode: barcode.value.trim(), phone: phone.value.trim() };
    if (!req.barcode) { barcode.focus(); return showError(t('err.required', { field: t('scan.barcode') })); }
    if (!req.phone) { phone.focus(); return showError(t('err.required', { field: t('scan.phone') })); }
    if (name.value.trim()) req.name = name.value.trim();
    if (shelf.value.trim()) req.shelf = shelf.value.trim();
    if (layer.value.trim()) req.layer = layer.value.trim();
    if (sameCity.checked) req.same_city = true;
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/parcels/inbound', req);
      localStorage.setItem(KEY_SHELF, shelf.value.trim());
      localStorage.setItem(KEY_LAYER, layer.value.trim());
      clearError();
      $('#info-banner').hidden = true;
      showInbound(result, res);
      barcode.value = '';
      phone.value = '';
      name.value = '';
      sameCity.checked = false;
      loadList();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
      barcode.focus();
    }
  });

  async function loadList() {
    try {
      const res = await api('GET', '/api/v1/parcels?status=in_stock');
      const today = new Date().toDateString();
      const rows = (res.parcels || []).filter((p) => !p.inbound_at || new Date(p.inbound_at).toDateString() === today);
      listTitle.textContent = t('scan.today', { n: rows.length });
      list.replaceChildren(...(rows.length ? rows.map(parcelRow) : [h('li', { class: 'muted' }, t('empty'))]));
    } catch (err) {
      list.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadDevices() {
    try {
      const res = await api('GET', '/api/v1/devices');
      renderDevices(devLine, res.devices || []);
      renderReads(reads, res.recent_reads || [], (text) => { barcode.value = text; phone.focus(); });
    } catch (err) {
      devLine.replaceChildren(h('span', { class: 'error-text' }, t('scan.devicesError', { msg: err.message })));
    }
  }

  root.append(h('div', { class: 'split' },
    form,
    h('section', { class: 'panel side' },
      listTitle, list,
      h('h2', {}, t('scan.devices')), devLine,
      h('h2', {}, t('scan.reads')), reads)));

  // A half-entered parcel is a task in progress, not idleness.
  keepFocus(barcode, pageScope, () => Boolean(barcode.value.trim() || phone.value.trim() || name.value.trim()));
  loadList();
  poll(loadList, 15000, pageScope);
  poll(loadDevices, 2000, pageScope);
  barcode.focus();
}

// keepFocus returns focus to the scan input whenever the clerk is idle (no
// key or touch for a few seconds and nothing half entered), and catches a
// wedge scanner typing while nothing editable has focus: focusing the input
// during keydown makes the character land in it.
function keepFocus(input, scope, inProgress) {
  let timer = null;
  const editable = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (document.activeElement !== input && !inProgress()) input.focus();
      arm();
    }, 8000);
  };
  const onKey = (e) => {
    arm();
    if (!editable(document.activeElement) && e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) input.focus();
  };
  const onFocusOut = () => setTimeout(() => {
    // Clicking a button takes focus away; give it back to the scanner input.
    if (!editable(document.activeElement)) input.focus();
  }, 0);
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('pointerdown', arm, true);
  document.addEventListener('focusout', onFocusOut);
  arm();
  scope.push(() => {
    clearTimeout(timer);
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('pointerdown', arm, true);
    document.removeEventListener('focusout', onFocusOut);
  });
}

function showInbound(box, res) {
  const p = res.parcel || {};
  const job = res.label_job;
  box.replaceChildren(h('div', { class: 'result-card ok' },
    h('div', { class: 'result-head' }, t('scan.done') + ' · ' + (p.waybill || '')),
    h('div', { class: 'code-label' }, t('scan.code')),
    h('div', { class: 'code', id: 'scan-code' }, p.pickup_code || '—'),
    h('div', { class: 'muted' }, [p.phone_masked, p.name_masked].filter(Boolean).join(' · ')),
    job ? h('div', { class: 'muted' }, t('scan.labelPrinted') + ' · ' + t('scan.labelJob', { job })) : null));
}

function parcelRow(p) {
  return h('li', { class: 'item', 'data-waybill': p.waybill },
    h('span', { class: 'item-code' }, p.pickup_code || '—'),
    h('span', { class: 'item-main' }, p.waybill),
    h('span', { class: 'item-sub' }, p.phone_masked || ''),
    h('span', { class: 'item-sub' }, fmtClock(p.inbound_at)));
}

function renderDevices(box, devs) {
  if (!devs.length) {
    box.replaceChildren(h('span', { class: 'muted' }, t('scan.noDevices')));
    return;
  }
  box.replaceChildren(...devs.map((d) => h('span', { class: 'dev dev-' + d.state, title: [d.detail, d.fix].filter(Boolean).join(' — ') },
    h('span', { class: 'dot' }), `${d.name} ${label('dev.', d.state)}`, d.detail ? h('small', {}, ' · ' + d.detail) : null)));
}

function renderReads(box, reads, use) {
  if (!reads.length) {
    box.replaceChildren(h('li', { class: 'muted' }, t('scan.noReads')));
    return;
  }
  // Newest first, a handful: this is a live view, not a log.
  const rows = reads.slice().sort((a, b) => String(b.at).localeCompare(String(a.at))).slice(0, 6);
  box.replaceChildren(...rows.map((r) => h('li', { class: 'read read-' + r.result },
    h('span', { class: 'item-sub' }, fmtClock(r.at)),
    h('span', { class: 'item-sub' }, r.scanner),
    h('span', { class: 'item-main' }, r.text),
    h('span', { class: 'tag' }, label('read.', r.result)),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => use(r.text) }, t('scan.useRead')))));
}

// ---------------------------------------------------------------------------
// Pickup

// A pickup code is shelf-layer-number; anything else typed or scanned is
// taken for a waybill.
const CODE_RE = /^\d+-\d+-\d+$/;

function renderPickup(root) {
  const query = h('input', { id: 'pickup-query', class: 'input-scan', autocomplete: 'off', spellcheck: 'false' });
  const phone4 = h('input', { id: 'pickup-phone4', inputmode: 'numeric', maxlength: 4, autocomplete: 'off' });
  const results = h('ul', { class: 'list', id: 'pickup-results' });
  const findForm = h('form', { class: 'find', id: 'pickup-find' },
    field(t('pickup.query'), query, 'grow'), field(t('pickup.phone4'), phone4, 'short4'),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'pickup-search' }, t('pickup.search')));

  let selected = null;
  const selBox = h('div', { class: 'selected', id: 'pickup-selected' }, h('span', { class: 'muted' }, t('pickup.none')));
  const idCheck = choice('id_check', ID_CHECKS, 'idc.', 'code_only');
  const agentName = h('input', { id: 'pickup-agent-name', autocomplete: 'off' });
  const agentField = field(t('pickup.agentName'), agentName, 'grow');
  agentField.hidden = true;
  const signer = choice('signer', SIGNERS, 'signer.', 'recipient', (v) => { agentField.hidden = v !== 'agent'; });
  const confirm = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'pickup-confirm', disabled: true }, t('pickup.confirm'));
  const reason = h('input', { id: 'refuse-reason', autocomplete: 'off' });
  const refuseBtn = h('button', { type: 'button', class: 'btn btn-danger', id: 'refuse-confirm', disabled: true }, t('pickup.refuseConfirm'));
  const refuseBox = h('div', { class: 'row refuse', id: 'refuse-box', hidden: true }, field(t('pickup.refuseReason'), reason, 'grow'), refuseBtn);
  const refuseToggle = h('button', { type: 'button', class: 'btn btn-danger-ghost', id: 'pickup-refuse', disabled: true,
    onclick: () => { refuseBox.hidden = !refuseBox.hidden; if (!refuseBox.hidden) reason.focus(); } }, t('pickup.refuse'));

  const signBox = signatureBox({
    id: 'sign-pad', hint: t('pickup.signHere'), scope: pageScope,
    tools: [h('span', { class: 'muted small grow' }, t('pickup.staffNote')), refuseToggle, confirm],
  });
  const pad = signBox.pad;

  function choose(p) {
    selected = p;
    selBox.replaceChildren(h('span', { class: 'code code-mid' }, p.pickup_code || '—'),
      h('span', { class: 'item-main' }, p.waybill),
      h('span', { class: 'item-sub' }, [p.phone_masked, p.name_masked].filter(Boolean).join(' · ')),
      h('span', { class: 'tag' }, label('status.', p.status)));
    for (const b of [confirm, refuseToggle, refuseBtn]) b.disabled = false;
    for (const li of results.children) li.classList.toggle('on', li.dataset.waybill === p.waybill);
  }

  function reset() {
    selected = null;
    selBox.replaceChildren(h('span', { class: 'muted' }, t('pickup.none')));
    for (const b of [confirm, refuseToggle, refuseBtn]) b.disabled = true;
    pad.clear();
    agentName.value = '';
    reason.value = '';
    refuseBox.hidden = true;
    results.replaceChildren();
    query.value = '';
    phone4.value = '';
    query.focus();
  }

  findForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = query.value.trim();
    const last4 = phone4.value.trim();
    if (!q && !last4) { query.focus(); return showError(t('err.required', { field: t('pickup.query') })); }
    const params = new URLSearchParams();
    if (last4) {
      // Last four digits plus the code narrows to one parcel; the digits
      // alone list that customer's parcels to choose from.
      params.set('phone_last4', last4);
      if (q) params.set('code', q);
    } else if (CODE_RE.test(q)) params.set('code', q);
    else params.set('waybill', q);
    try {
      const res = await api('GET', '/api/v1/parcels/find?' + params);
      clearError();
      const ps = res.parcels || [];
      results.replaceChildren(...(ps.length ? ps.map((p) => {
        const li = parcelRow(p);
        li.append(h('span', { class: 'tag' }, label('status.', p.status)));
        li.classList.add('clickable');
        li.addEventListener('click', () => choose(p));
        return li;
      }) : [h('li', { class: 'muted' }, t('pickup.noResult'))]));
      if (ps.length === 1) choose(ps[0]);
    } catch (err) {
      showError(err);
    }
  });

  confirm.addEventListener('click', async () => {
    if (!selected) return showError(t('pickup.none'));
    if (pad.empty()) return showError(t('err.sign'));
    const req = { code: selected.pickup_code, id_check: idCheck.value, signer: signer.value, signature_svg: pad.toSVG() };
    if (signer.value === 'agent') {
      if (!agentName.value.trim()) { agentName.focus(); return showError(t('err.agentName')); }
      req.agent_name = agentName.value.trim();
    }
    confirm.disabled = true;
    try {
      await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/pickup`, req);
      clearError();
      showInfo(t('pickup.done', { waybill: selected.waybill }));
      reset();
    } catch (err) {
      // A 409 names the parcel's state and what is allowed; show it as is.
      showError(err);
      confirm.disabled = false;
    }
  });

  refuseBtn.addEventListener('click', async () => {
    if (!selected) return;
    if (!reason.value.trim()) { reason.focus(); return showError(t('err.required', { field: t('pickup.refuseReason') })); }
    refuseBtn.disabled = true;
    try {
      await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/refuse`, { reason: reason.value.trim() });
      clearError();
      showInfo(t('pickup.refused', { waybill: selected.waybill }));
      reset();
    } catch (err) {
      showError(err);
      refuseBtn.disabled = false;
    }
  });

  root.append(h('div', { class: 'split split-pickup' },
    h('section', { class: 'panel' }, h('h1', {}, t('pickup.find')), findForm, results),
    h('section', { class: 'panel hand' },
      h('h2', {}, t('pickup.selected')), selBox,
      h('div', { class: 'row' }, h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('pickup.idCheck')), idCheck),
        h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('pickup.signer')), signer)),
      agentField,
      signBox.el,
      refuseBox)));
  query.focus();
}

// signatureBox is a signature pad with its hint and its undo and clear
// buttons, for any page where someone signs: the customer at pickup, the
// courier and the clerk at a handover, the courier taking a batch out.
// tools are extra controls placed on the buttons' row. The pad listens
// until the page's scope ends.
function signatureBox({ id, hint, scope, tools = [], compact = false }) {
  const canvas = h('canvas', { id, class: 'sign-pad' + (compact ? ' sign-pad-compact' : ''), 'aria-label': hint });
  const pad = new SignaturePad(canvas);
  const undo = h('button', { type: 'button', class: 'btn' + (compact ? ' btn-small' : ''), id: id + '-undo', onclick: () => pad.undo() }, t('pickup.undo'));
  const clear = h('button', { type: 'button', class: 'btn' + (compact ? ' btn-small' : ''), id: id + '-clear', onclick: () => pad.clear() }, t('pickup.clear'));
  const el = h('div', { class: 'sign-box' },
    h('div', { class: 'pad-wrap' }, canvas, h('span', { class: 'pad-hint' }, hint)),
    h('div', { class: 'row pad-tools' }, undo, clear, tools));
  pad.attach(scope);
  return { el, pad, canvas };
}

// SignaturePad records strokes drawn with mouse, pen or finger (Pointer
// Events) and turns them into a compact SVG: one <path> per stroke, integer
// coordinates, attributes on the root so each path is just its "d".
class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.strokes = [];
    this.current = null;
  }

  attach(scope) {
    const c = this.canvas;
    const on = (type, fn) => { c.addEventListener(type, fn); scope.push(() => c.removeEventListener(type, fn)); };
    on('pointerdown', (e) => this.down(e));
    on('pointermove', (e) => this.move(e));
    on('pointerup', () => this.up());
    on('pointercancel', () => this.up());
    // The canvas follows its box; resizing clears a canvas, so redraw.
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(c);
    scope.push(() => ro.disconnect());
    this.resize();
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.redraw();
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  down(e) {
    e.preventDefault();
    // Capture keeps the stroke when the pen leaves the box mid-stroke.
    try { this.canvas.setPointerCapture(e.pointerId); } catch { /* synthetic pointer */ }
    this.current = [this.point(e)];
    this.strokes.push(this.current);
    this.redraw();
  }

  move(e) {
    if (!this.current) return;
    // Coalesced events keep fast strokes smooth on slow PCs.
    const evs = e.getCoalescedEvents?.() || [];
    for (const ev of evs.length ? evs : [e]) this.current.push(this.point(ev));
    this.redraw();
  }

  up() {
    this.current = null;
  }

  undo() {
    this.strokes.pop();
    this.redraw();
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.redraw();
  }

  empty() {
    return this.strokes.length === 0;
  }

  redraw() {
    const ctx = this.canvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.lineWidth = 2.5;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#111827';
    for (const s of this.strokes) {
      ctx.beginPath();
      ctx.moveTo(s[0][0], s[0][1]);
      // A tap is a dot: a zero-length line with round caps.
      if (s.length === 1) ctx.lineTo(s[0][0], s[0][1]);
      for (const [x, y] of s.slice(1)) ctx.lineTo(x, y);
      ctx.stroke();
    }
  }

  toSVG() {
    const r = this.canvas.getBoundingClientRect();
    const paths = this.strokes.map((s) => {
      const pts = [];
      for (const [x, y] of s) {
        const p = [Math.round(x), Math.round(y)];
        const last = pts[pts.length - 1];
        if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
      }
      const [first, ...rest] = pts;
      const d = `M${first[0]} ${first[1]}` + (rest.length ? 'L' + rest.map((p) => `${p[0]} ${p[1]}`).join(' ') : 'l0 0');
      return `<path d="${d}"/>`;
    });
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${Math.round(r.width)} ${Math.round(r.height)}" ` +
      'fill="none" stroke="#000" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round">' + paths.join('') + '</svg>';
  }
}

// ---------------------------------------------------------------------------
// Exceptions

const PHOTO_MAX_MB = 4;

function renderExceptions(root) {
  const waybill = h('input', { id: 'exc-waybill', class: 'input-scan', autocomplete: 'off', spellcheck: 'false' });
  const kind = select('kind', KINDS, 'kind.', 'damaged');
  kind.id = 'exc-kind';
  const note = h('textarea', { id: 'exc-note', rows: 3 });
  // The native file button speaks the browser's language, not the screen's;
  // a label styled as a button replaces it.
  const photos = h('input', { id: 'exc-photos', type: 'file', accept: 'image/jpeg,image/png', multiple: true, class: 'file-hidden' });
  const photoCount = h('span', { class: 'muted' }, t('exc.noPhoto'));
  const picker = h('label', { class: 'btn file-btn' }, photos, t('exc.choosePhotos'));
  const previews = h('div', { class: 'thumbs' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'exc-submit' }, t('exc.submit'));
  const list = h('ul', { class: 'list cards', id: 'exc-list' });
  const listTitle = h('h2', {}, t('exc.open', { n: 0 }));
  let encoded = []; // base64 photo bodies, no data: prefix

  photos.addEventListener('change', async () => {
    encoded = [];
    previews.replaceChildren();
    try {
      for (const f of photos.files) {
        if (!/^image\/(jpeg|png)$/.test(f.type)) throw new Error(t('err.photoType', { name: f.name }));
        if (f.size > PHOTO_MAX_MB << 20) throw new Error(t('err.photoSize', { name: f.name, mb: PHOTO_MAX_MB }));
        const url = await readDataURL(f);
        encoded.push(url.slice(url.indexOf(',') + 1));
        previews.append(h('img', { src: url, alt: f.name }));
      }
      photoCount.textContent = encoded.length ? t('exc.photoCount', { n: encoded.length }) : t('exc.noPhoto');
      clearError();
    } catch (err) {
      encoded = [];
      photos.value = '';
      previews.replaceChildren();
      photoCount.textContent = t('exc.noPhoto');
      showError(err);
    }
  });

  const form = h('form', { class: 'panel', id: 'exc-form' },
    h('h1', {}, t('exc.title')),
    h('div', { class: 'row' }, field(t('exc.waybill'), waybill, 'grow'), field(t('exc.kind'), kind)),
    field(t('exc.note'), note, 'field-wide'),
    h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('exc.photos')), h('div', { class: 'row row-center' }, picker, photoCount)), previews,
    submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!waybill.value.trim()) { waybill.focus(); return showError(t('err.required', { field: t('exc.waybill') })); }
    const req = { waybill: waybill.value.trim(), kind: kind.value, note: note.value.trim() };
    if (encoded.length) req.photos = encoded;
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/exceptions', req);
      clearError();
      showInfo(t('exc.done', { waybill: req.waybill, kind: label('kind.', req.kind) }));
      waybill.value = '';
      note.value = '';
      photos.value = '';
      previews.replaceChildren();
      photoCount.textContent = t('exc.noPhoto');
      encoded = [];
      load();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });

  async function load() {
    try {
      const res = await api('GET', '/api/v1/exceptions?open=1');
      const xs = res.exceptions || [];
      listTitle.textContent = t('exc.open', { n: xs.length });
      list.replaceChildren(...(xs.length ? xs.map((x) => exceptionCard(x, load)) : [h('li', { class: 'muted' }, t('empty'))]));
    } catch (err) {
      list.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  root.append(h('div', { class: 'split' }, form, h('section', { class: 'panel side' }, listTitle, list)));
  poll(load, 15000, pageScope);
  waybill.focus();
}

function readDataURL(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function exceptionCard(x, reload) {
  const stepBox = h('div', { class: 'step-form' });
  const steps = (x.allowed || []).map((step) => h('button', {
    type: 'button', class: 'btn btn-small', 'data-step': step,
    onclick: () => openExceptionStep(stepBox, x, step, reload),
  }, label('xstep.', step)));
  return h('li', { class: 'card', 'data-id': x.id },
    h('div', { class: 'card-head' },
      h('b', {}, label('kind.', x.kind)), h('span', { class: 'item-main' }, x.waybill),
      h('span', { class: 'tag state' }, label('xstate.', x.state))),
    x.note ? h('div', { class: 'card-text' }, x.note) : null,
    h('div', { class: 'muted small' }, [x.owner ? t('exc.owner') + ' ' + x.owner : '',
      x.photos?.length ? t('exc.photoCount', { n: x.photos.length }) : '',
      claimText(x.claim)].filter(Boolean).join(' · ')),
    h('div', { class: 'steps' }, steps),
    stepBox);
}

// claimText sums up a claim: open, or decided with its amount.
function claimText(c) {
  if (!c || !c.opened) return '';
  if (!c.decided) return t('exc.claim') + ' · ' + t('exc.claimOpen');
  const amount = c.amount_cents ? ' ¥' + (c.amount_cents / 100).toFixed(2) : '';
  return t('exc.claim') + ' · ' + (c.approved ? t('exc.claimApproved') : t('exc.claimRefused')) + amount;
}

// openExceptionStep shows the inputs a step takes inline (no modal dialogs:
// they block a counter screen and a browser test alike).
function openExceptionStep(box, x, step, reload) {
  const note = h('input', { class: 'grow', placeholder: t('exc.note') });
  const amount = h('input', { type: 'number', min: 0, step: '0.01', class: 'short', placeholder: t('exc.amount') });
  const approved = h('input', { type: 'checkbox', checked: true });
  const owner = h('input', { class: 'short-text', placeholder: t('exc.owner') });
  const money = step === 'decide_claim';
  const go = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-go': step }, t('confirm') + ' · ' + label('xstep.', step));
  go.addEventListener('click', async () => {
    const req = { step };
    if (note.value.trim()) req.note = note.value.trim();
    // Money travels in integer cents, never as a float of yuan.
    if (money && amount.value !== '') req.amount_cents = Math.round(Number(amount.value) * 100);
    if (step === 'decide_claim') req.approved = approved.checked;
    if (step === 'assign') {
      if (!owner.value.trim()) { owner.focus(); return showError(t('err.required', { field: t('exc.owner') })); }
      req.owner = owner.value.trim();
    }
    go.disabled = true;
    try {
      await api('POST', `/api/v1/exceptions/${encodeURIComponent(x.id)}/steps`, req);
      clearError();
      reload();
    } catch (err) {
      showError(err);
      go.disabled = false;
    }
  });
  box.replaceChildren(h('div', { class: 'row' }, step === 'assign' ? owner : null, note, money ? amount : null,
    step === 'decide_claim' ? h('label', { class: 'check' }, approved, t('exc.approved')) : null,
    go, h('button', { type: 'button', class: 'btn btn-small', onclick: () => box.replaceChildren() }, t('cancel'))));
  note.focus();
}

// ---------------------------------------------------------------------------
// Complaints

function renderComplaints(root) {
  const channel = choice('channel', CHANNELS, 'ch.', 'counter');
  const ctype = choice('type', CTYPES, 'ctype.', 'complaint');
  const category = select('category', CATEGORIES, 'cat.', 'delay');
  category.id = 'cmp-category';
  const severity = choice('severity', SEVERITIES, 'sev.', 'routine');
  const phone = h('input', { id: 'cmp-phone', inputmode: 'tel', autocomplete: 'off', maxlength: 20 });
  const name = h('input', { id: 'cmp-name', autocomplete: 'off' });
  const waybill = h('input', { id: 'cmp-waybill', autocomplete: 'off', spellcheck: 'false' });
  const text = h('textarea', { id: 'cmp-text', rows: 3 });
  const notice = h('select', { id: 'cmp-notice' }, h('option', { value: '' }, t('none')),
    notices.filter((n) => !n.ended).map((n) => h('option', { value: n.id }, n.title)));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'cmp-submit' }, t('cmp.submit'));
  const list = h('ul', { class: 'list cards', id: 'cmp-list' });
  const listTitle = h('h2', {}, t('cmp.open', { n: 0 }));

  const form = h('form', { class: 'panel cmp-form', id: 'cmp-form' },
    h('h1', {}, t('cmp.title')),
    h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('cmp.channel')), channel),
    h('div', { class: 'row' },
      h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('cmp.type')), ctype),
      h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('cmp.severity')), severity)),
    h('div', { class: 'row' }, field(t('cmp.category'), category), field(t('cmp.phone'), phone, 'grow'), field(t('cmp.name'), name, 'grow')),
    h('div', { class: 'row' }, field(t('cmp.waybill'), waybill, 'grow'), field(t('cmp.notice'), notice, 'grow')),
    field(t('cmp.text'), text, 'field-wide'),
    submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!phone.value.trim()) { phone.focus(); return showError(t('err.required', { field: t('cmp.phone') })); }
    if (!text.value.trim()) { text.focus(); return showError(t('err.required', { field: t('cmp.text') })); }
    const req = {
      channel: channel.value, type: ctype.value, category: category.value, severity: severity.value,
      customer_phone: phone.value.trim(), text: text.value.trim(),
    };
    if (name.value.trim()) req.customer_name = name.value.trim();
    if (waybill.value.trim()) req.waybill = waybill.value.trim();
    if (notice.value) req.notice_id = notice.value;
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/complaints', req);
      clearError();
      const c = res.complaint || {};
      showInfo(t('cmp.done', { ticket: c.ticket || c.id || '' }) + (res.receipt_job ? ' · ' + t('cmp.receipt') : ''));
      for (const el of [phone, name, waybill, text]) el.value = '';
      load();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });

  // Countdowns: remaining seconds come from the agent (hub-corrected time);
  // the PC's clock may be wrong, so locally only elapsed time is measured,
  // with the monotonic performance.now().
  let loadedAt = performance.now();
  const tick = () => {
    const elapsed = (performance.now() - loadedAt) / 1000;
    for (const el of list.querySelectorAll('[data-remaining]')) {
      const left = Number(el.dataset.remaining) - elapsed;
      el.textContent = left >= 0 ? t('cmp.left', { t: fmtDuration(left) }) : t('cmp.breached', { t: fmtDuration(left) });
      el.closest('.deadline').classList.toggle('breached', left < 0);
    }
  };

  async function load() {
    try {
      const res = await api('GET', '/api/v1/complaints?open=1');
      const cs = res.complaints || [];
      loadedAt = performance.now();
      listTitle.textContent = t('cmp.open', { n: cs.length });
      list.replaceChildren(...(cs.length ? cs.map((c) => complaintCard(c, load)) : [h('li', { class: 'muted' }, t('empty'))]));
      tick();
    } catch (err) {
      list.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  root.append(h('div', { class: 'split' }, form, h('section', { class: 'panel side' }, listTitle, list)));
  const timer = setInterval(tick, 1000);
  pageScope.push(() => clearInterval(timer));
  poll(load, 30000, pageScope);
  phone.focus();
}

function complaintCard(c, reload) {
  const stepBox = h('div', { class: 'step-form' });
  const breached = new Set(c.breached || []);
  // A met deadline's remaining time is frozen by the agent; it does not
  // tick. A suggestion or praise has no result deadline at all.
  const deadline = (label, by, remaining, metAt, key) => {
    if (!by) return null;
    const late = breached.has('sla_' + key);
    return h('div', { class: 'deadline' + (late ? ' breached' : '') + (metAt ? ' met' : ''), 'data-deadline': key },
      h('span', { class: 'deadline-label' }, label),
      metAt
        ? h('span', { class: 'deadline-left' }, remaining < 0 ? t('cmp.metLate', { t: fmtDuration(remaining) }) : t('cmp.met'))
        : h('span', { class: 'deadline-left countdown', 'data-remaining': remaining ?? 0 }, ''),
      h('span', { class: 'muted small' }, t('cmp.by', { at: fmtTime(by) })));
  };
  const steps = (c.allowed || []).map((step) => h('button', {
    type: 'button', class: 'btn btn-small', 'data-step': step,
    onclick: () => openComplaintStep(stepBox, c, step, reload),
  }, label('cstep.', step)));
  return h('li', { class: 'card' + (c.severity === 'major' ? ' major' : ''), 'data-id': c.id },
    h('div', { class: 'card-head' },
      h('b', {}, c.ticket || c.id),
      h('span', { class: 'tag' }, label('ctype.', c.type)),
      h('span', { class: 'tag' }, label('cat.', c.category)),
      c.severity === 'major' ? h('span', { class: 'tag tag-major' }, t('sev.major')) : null,
      h('span', { class: 'item-sub' }, c.customer_masked || ''),
      h('span', { class: 'tag state' }, label('cstate.', c.state))),
    h('div', { class: 'card-text' }, c.text),
    h('div', { class: 'deadlines' },
      deadline(t('cmp.firstReply'), c.first_reply_by, c.first_reply_remaining_s, c.first_reply_at, 'first_reply'),
      deadline(t('cmp.result'), c.result_by, c.result_remaining_s, c.result_at, 'result')),
    h('div', { class: 'steps' }, steps),
    stepBox);
}

function openComplaintStep(box, c, step, reload) {
  const note = h('textarea', { rows: 3, placeholder: t('cmp.noteFor') });
  const tips = h('div', { class: 'templates' });
  let satisfaction = 0;
  const stars = h('div', { class: 'stars', role: 'radiogroup', 'aria-label': t('cmp.satisfaction') });
  for (let i = 1; i <= 5; i++) {
    stars.append(h('button', { type: 'button', class: 'star', 'data-score': i, onclick: () => {
      satisfaction = i;
      for (const b of stars.children) b.classList.toggle('on', Number(b.dataset.score) <= i);
    } }, String(i)));
  }
  const owner = h('input', { class: 'short-text', placeholder: t('cmp.owner') });
  const notice = h('select', {}, notices.filter((n) => !n.ended).map((n) => h('option', { value: n.id }, n.title)));
  const go = h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-go': step }, t('confirm') + ' · ' + label('cstep.', step));
  go.addEventListener('click', async () => {
    const req = { step };
    if (note.value.trim()) req.note = note.value.trim();
    if (step === 'follow_up') {
      if (!satisfaction) return showError(t('err.required', { field: t('cmp.satisfaction') }));
      req.satisfaction = satisfaction;
    }
    if (step === 'assign') {
      if (!owner.value.trim()) { owner.focus(); return showError(t('err.required', { field: t('cmp.owner') })); }
      req.owner = owner.value.trim();
    }
    if (step === 'escalate') req.reason = note.value.trim();
    if (step === 'attach_notice') {
      if (!notice.value) return showError(t('err.required', { field: t('cmp.notice') }));
      req.notice_id = notice.value;
    }
    go.disabled = true;
    try {
      await api('POST', `/api/v1/complaints/${encodeURIComponent(c.id)}/steps`, req);
      clearError();
      reload();
    } catch (err) {
      showError(err);
      go.disabled = false;
    }
  });

  // Suggestions follow what the clerk types, a moment after typing stops.
  let debounce = null;
  const suggest = async () => {
    try {
      const q = new URLSearchParams({ category: c.category, q: note.value.trim() });
      const res = await api('GET', '/api/v1/reply-templates?' + q);
      const ts = res.templates || [];
      tips.replaceChildren(h('span', { class: 'field-label' }, t('cmp.templates')),
        ...(ts.length ? ts.slice(0, 3).map((tp) => h('button', {
          type: 'button', class: 'template', title: tp.text,
          onclick: () => { note.value = tp.text; note.focus(); },
        }, h('b', {}, tp.title), ' ', h('span', { class: 'muted' }, tp.text))) : [h('span', { class: 'muted' }, t('cmp.noTemplates'))]));
    } catch (err) {
      tips.replaceChildren(h('span', { class: 'error-text small' }, err.message));
    }
  };
  note.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(suggest, 300); });

  // replaceChildren would print a null as "null"; h() skips it.
  box.replaceChildren(h('div', {},
    step === 'follow_up' ? h('div', { class: 'row row-center' }, h('span', { class: 'field-label' }, t('cmp.satisfaction')), stars) : null,
    step === 'assign' ? h('div', { class: 'row' }, owner) : null,
    step === 'attach_notice' ? h('div', { class: 'row' }, notice) : null,
    note,
    tips,
    h('div', { class: 'row step-actions' }, go, h('button', { type: 'button', class: 'btn btn-small', onclick: () => box.replaceChildren() }, t('cancel')))));
  suggest();
  note.focus();
}

// ---------------------------------------------------------------------------
// Shared helpers for the courier and sending pages

// routeParam reads a parameter of the page's hash: #/handover?id=… keeps
// the session open across a reload.
function routeParam(name) {
  const q = location.hash.split('?')[1] || '';
  return new URLSearchParams(q).get(name);
}

// yuan renders whole fen as ¥12.34; money travels in fen, never floats.
function yuan(fen) {
  return '¥' + (Number(fen || 0) / 100).toFixed(2);
}

// kg renders grams as kilograms with three decimals, as the scale shows.
function kg(grams) {
  return (Number(grams || 0) / 1000).toFixed(3) + ' kg';
}

// today is the PC's local date as YYYY-MM-DD, the business day's format.
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// onEnter calls fn with the trimmed value when a wedge scanner (or the
// clerk) ends a code with Enter.
function onEnter(input, fn) {
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const v = input.value.trim();
    if (v) fn(v);
  });
}

function countTile(id, labelText, value, cls) {
  return h('div', { class: 'count ' + (cls || ''), 'data-count': id },
    h('div', { class: 'count-n', id: 'count-' + id }, String(value ?? 0)),
    h('div', { class: 'count-label' }, labelText));
}

function waybillList(id, items, empty) {
  return h('ul', { class: 'list chips', id }, items.length
    ? items.map((w) => h('li', { class: 'chip', 'data-waybill': w }, w))
    : h('li', { class: 'muted' }, empty));
}

// ---------------------------------------------------------------------------
// Courier handover (交接)

function renderHandover(root) {
  const id = routeParam('id');
  if (id) return renderHandoverSession(root, id);

  const courier = h('input', { id: 'ho-courier', autocomplete: 'off', spellcheck: 'false', placeholder: t('ho.courierHint') });
  const manifestBox = h('ul', { class: 'list', id: 'ho-manifests' }, h('li', { class: 'muted' }, t('loading')));
  const openBtn = h('button', { type: 'submit', class: 'btn btn-primary btn-big', id: 'ho-open' }, t('ho.open'));
  const sessions = h('ul', { class: 'list cards', id: 'ho-sessions' }, h('li', { class: 'muted' }, t('loading')));
  const chosen = new Set();

  const form = h('form', { class: 'panel', id: 'ho-form' },
    h('h1', {}, t('ho.title')),
    h('h2', {}, t('ho.pickManifests')),
    manifestBox,
    h('p', { class: 'hint' }, t('ho.noManifestHint')),
    h('div', { class: 'row' }, field(t('ho.courier'), courier, 'grow'), openBtn));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!courier.value.trim()) { courier.focus(); return showError(t('err.required', { field: t('ho.courier') })); }
    openBtn.disabled = true;
    try {
      const res = await api('POST', '/api/v1/handovers', { courier: courier.value.trim(), manifests: [...chosen] });
      clearError();
      location.hash = '#/handover?id=' + encodeURIComponent(res.handover.id);
    } catch (err) {
      showError(err);
      openBtn.disabled = false;
    }
  });

  async function loadManifests() {
    try {
      const ms = (await api('GET', '/api/v1/manifests')).manifests || [];
      manifestBox.replaceChildren(...(ms.length ? ms.map((m) => {
        const box = h('input', { type: 'checkbox', 'data-manifest': m.id, checked: chosen.has(m.id) });
        box.addEventListener('change', () => {
          if (box.checked) chosen.add(m.id); else chosen.delete(m.id);
          if (box.checked && !courier.value.trim() && m.courier) courier.value = m.courier;
        });
        return h('li', { class: 'item' }, h('label', { class: 'check grow' }, box,
          h('span', { class: 'item-main' }, m.id),
          h('span', { class: 'item-sub' }, [m.line, m.courier].filter(Boolean).join(' · ')),
          h('span', { class: 'tag' }, t('ho.waybillCount', { n: (m.waybills || []).length })),
          m.expected_at ? h('span', { class: 'item-sub' }, t('ho.expectedAt', { at: fmtTime(m.expected_at) })) : null));
      }) : [h('li', { class: 'muted' }, t('ho.noManifests'))]));
    } catch (err) {
      manifestBox.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadSessions() {
    try {
      const hs = (await api('GET', '/api/v1/handovers')).handovers || [];
      const open = hs.filter((x) => x.state === 'open');
      const closed = hs.filter((x) => x.state !== 'open').slice(0, 5);
      const card = (x) => h('li', { class: 'card', 'data-id': x.id },
        h('div', { class: 'card-head' }, h('b', {}, x.courier), h('span', { class: 'item-sub' }, fmtTime(x.opened_at)),
          h('span', { class: 'tag state' }, label('hstate.', x.state))),
        h('div', { class: 'muted small' }, t('ho.countsLine', { ...x.counts })),
        h('div', { class: 'steps' }, h('a', { class: 'btn btn-small' + (x.state === 'open' ? ' btn-primary' : ''), 'data-resume': x.id,
          href: '#/handover?id=' + encodeURIComponent(x.id) }, x.state === 'open' ? t('ho.resume') : t('ho.view'))));
      sessions.replaceChildren(
        h('li', {}, h('h2', {}, t('ho.openSessions', { n: open.length }))),
        ...(open.length ? open.map(card) : [h('li', { class: 'muted' }, t('empty'))]),
        ...(closed.length ? [h('li', {}, h('h2', {}, t('ho.recent'))), ...closed.map(card)] : []));
    } catch (err) {
      sessions.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  root.append(h('div', { class: 'split' }, form, h('section', { class: 'panel side' }, sessions)));
  poll(loadManifests, 15000, pageScope);
  poll(loadSessions, 15000, pageScope);
  courier.focus();
}

function renderHandoverSession(root, id) {
  const scan = h('input', { id: 'ho-scan', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const head = h('div', { class: 'card-head', id: 'ho-head' }, t('loading'));
  const counts = h('div', { class: 'counts', id: 'ho-counts' });
  const last = h('div', { class: 'last-scan', id: 'ho-last' });
  const lists = h('div', { class: 'two-lists' });
  const signer = h('input', { id: 'ho-courier-signer', autocomplete: 'off', spellcheck: 'false' });
  const courierPad = signatureBox({ id: 'ho-sign-courier', hint: t('ho.courierSigns'), scope: pageScope, compact: true });
  const clerkPad = signatureBox({ id: 'ho-sign-clerk', hint: t('ho.clerkSigns', { who: currentStaff()?.name || currentStaff()?.id || '' }), scope: pageScope, compact: true });
  const closeBtn = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'ho-close' }, t('ho.close'));
  const signPanel = h('div', { id: 'ho-sign' },
    h('h2', {}, t('ho.signatures')),
    field(t('ho.courierSigner'), signer),
    courierPad.el,
    h('h3', {}, t('ho.clerkSignature')),
    clerkPad.el,
    h('div', { class: 'row pad-tools' }, h('span', { class: 'muted small grow' }, t('ho.closeNote')), closeBtn));
  const excBox = h('div', { id: 'ho-exceptions' });
  const back = h('a', { class: 'btn btn-small', href: '#/handover', id: 'ho-back' }, t('ho.back'));
  const scanField = field(t('ho.scanHere'), scan, 'field-wide');
  let current = null;

  function show(ho, exceptions) {
    current = ho;
    const c = ho.counts || {};
    // replaceChildren would print a null as "null"; leave gaps out.
    head.replaceChildren(...[h('b', {}, t('ho.courierIs', { who: ho.courier })),
      h('span', { class: 'item-sub ho-manifest-ids' }, (ho.manifests || []).length ? t('ho.manifestsAre', { ids: ho.manifests.join(', ') }) : t('ho.noManifest')),
      (ho.unknown_manifests || []).length ? h('span', { class: 'tag tag-major' }, t('ho.unknownManifests', { ids: ho.unknown_manifests.join(', ') })) : null,
      h('span', { class: 'tag state', id: 'ho-state' }, label('hstate.', ho.state)), back].filter(Boolean));
    counts.replaceChildren(
      countTile('expected', t('ho.expected'), c.expected),
      countTile('scanned', t('ho.scanned'), c.scanned, 'count-ok'),
      countTile('missing', t('ho.missing'), c.missing, c.missing ? 'count-bad' : ''),
      countTile('extra', t('ho.extra'), c.extra, c.extra ? 'count-warn' : ''),
      countTile('duplicates', t('ho.duplicates'), c.duplicates, 'count-dim'));
    lists.replaceChildren(
      h('div', {}, h('h2', {}, t('ho.missingList', { n: (ho.missing || []).length })), waybillList('ho-missing', ho.missing || [], t('none'))),
      h('div', {}, h('h2', {}, t('ho.extraList', { n: (ho.extra || []).length })), waybillList('ho-extra', ho.extra || [], t('none'))));
    const open = ho.state === 'open';
    scan.disabled = !open;
    scanField.hidden = !open;
    signPanel.hidden = !open;
    if (!open) showExceptions(exceptions || []);
  }

  function showExceptions(xs) {
    excBox.replaceChildren(h('h2', {}, t('ho.exceptions', { n: xs.length })),
      h('ul', { class: 'list cards', id: 'ho-exception-list' }, xs.length ? xs.map((x) => h('li', { class: 'card', 'data-id': x.id, 'data-kind': x.report?.kind },
        h('div', { class: 'card-head' }, h('b', {}, label('kind.', x.report?.kind)), h('span', { class: 'item-main' }, x.report?.waybill),
          h('span', { class: 'item-sub' }, x.id)),
        x.report?.note ? h('div', { class: 'muted small' }, x.report.note) : null)) : h('li', { class: 'muted' }, t('ho.noExceptions'))),
      h('a', { class: 'btn btn-primary', href: '#/handover', id: 'ho-new' }, t('ho.new')));
  }

  onEnter(scan, async (code) => {
    const before = new Set(current?.scanned || []);
    scan.value = '';
    try {
      const res = await api('POST', `/api/v1/handovers/${encodeURIComponent(id)}/scans`, { barcode: code });
      clearError();
      const ho = res.handover;
      const w = (ho.scanned || []).find((x) => !before.has(x)) || code;
      const kind = before.has(w) || before.has(code) ? 'duplicate' : (ho.extra || []).includes(w) ? 'extra' : 'matched';
      last.className = 'last-scan last-' + kind;
      last.replaceChildren(h('span', { class: 'item-main' }, w), h('b', {}, t('ho.scan.' + kind)));
      show(ho);
    } catch (err) {
      showError(err);
    }
    scan.focus();
  });

  closeBtn.addEventListener('click', async () => {
    if (!signer.value.trim()) { signer.focus(); return showError(t('err.required', { field: t('ho.courierSigner') })); }
    if (courierPad.pad.empty()) return showError(t('ho.err.courierSign'));
    if (clerkPad.pad.empty()) return showError(t('ho.err.clerkSign'));
    closeBtn.disabled = true;
    try {
      const res = await api('POST', `/api/v1/handovers/${encodeURIComponent(id)}/close`, {
        courier: { signer: signer.value.trim(), svg: courierPad.pad.toSVG() },
        clerk: { svg: clerkPad.pad.toSVG() },
      });
      clearError();
      showInfo(t('ho.closed', { n: (res.exceptions || []).length }));
      show(res.handover, res.exceptions || []);
    } catch (err) {
      // A 409 names the session's state and what is allowed; shown as is.
      showError(err);
    } finally {
      closeBtn.disabled = false;
    }
  });

  root.append(h('div', { class: 'split split-even' },
    h('section', { class: 'panel' }, head,
      scanField,
      last, counts, lists),
    h('section', { class: 'panel side' }, signPanel, excBox)));
  keepFocus(scan, pageScope, () => Boolean(scan.value.trim() || signer.value.trim() && document.activeElement === signer));
  api('GET', `/api/v1/handovers/${encodeURIComponent(id)}`).then((res) => {
    show(res.handover, res.exceptions || []);
    if (!signer.value && res.handover.courier) signer.value = res.handover.courier;
    if (res.handover.state === 'open') scan.focus();
  }).catch((err) => {
    head.replaceChildren(h('span', { class: 'error-text' }, err.message), back);
    showError(err);
  });
  scan.focus();
}

// ---------------------------------------------------------------------------
// Courier dispatch (派送)

function renderDispatch(root) {
  const scan = h('input', { id: 'dsp-scan', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const courier = h('input', { id: 'dsp-courier', autocomplete: 'off', spellcheck: 'false' });
  const courierName = h('input', { id: 'dsp-courier-name', autocomplete: 'off' });
  const batchList = h('ul', { class: 'list', id: 'dsp-batch' });
  const batchTitle = h('h2', {}, t('dsp.batch', { n: 0 }));
  const pad = signatureBox({ id: 'dsp-sign', hint: t('dsp.courierSigns'), scope: pageScope, compact: true });
  const submit = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'dsp-submit' }, t('dsp.submit'));
  const openBox = h('div', { id: 'dsp-open' });
  const days = h('ul', { class: 'list cards', id: 'dsp-days' });
  const batch = new Map(); // waybill → parcel (or null while unknown)

  function drawBatch() {
    batchTitle.textContent = t('dsp.batch', { n: batch.size });
    batchList.replaceChildren(...(batch.size ? [...batch].map(([w, p]) => h('li', { class: 'item', 'data-waybill': w },
      h('span', { class: 'item-code' }, p?.pickup_code || '—'),
      h('span', { class: 'item-main grow' }, w),
      h('span', { class: 'item-sub' }, p?.phone_masked || ''),
      p ? h('span', { class: 'tag' + (p.status === 'in_stock' ? '' : ' tag-major') }, label('status.', p.status)) : null,
      h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', onclick: () => { batch.delete(w); drawBatch(); } }, t('dsp.remove'))))
      : [h('li', { class: 'muted' }, t('dsp.scanHint'))]));
  }

  onEnter(scan, async (code) => {
    scan.value = '';
    if (batch.has(code)) return showInfo(t('dsp.already', { waybill: code }));
    batch.set(code, null);
    drawBatch();
    try {
      const ps = (await api('GET', '/api/v1/parcels/find?' + new URLSearchParams({ waybill: code }))).parcels || [];
      if (batch.has(code)) batch.set(code, ps[0] || { status: 'unknown' });
      clearError();
    } catch (err) {
      showError(err);
    }
    drawBatch();
  });

  submit.addEventListener('click', async () => {
    if (!batch.size) { scan.focus(); return showError(t('dsp.empty')); }
    if (!courier.value.trim()) { courier.focus(); return showError(t('err.required', { field: t('dsp.courier') })); }
    if (pad.pad.empty()) return showError(t('dsp.err.sign'));
    const req = { courier: courier.value.trim(), waybills: [...batch.keys()], signature: { signer: courier.value.trim(), svg: pad.pad.toSVG() } };
    if (courierName.value.trim()) req.courier_name = courierName.value.trim();
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/dispatches', req);
      clearError();
      showInfo(t('dsp.done', { n: req.waybills.length, who: req.courier_name || req.courier, id: res.batch?.id || '' }));
      batch.clear();
      drawBatch();
      pad.pad.clear();
      load();
    } catch (err) {
      // A parcel not in stock: 409 with its state, shown as is.
      showError(err);
    } finally {
      submit.disabled = false;
      scan.focus();
    }
  });

  async function load() {
    try {
      const [bs, open] = await Promise.all([api('GET', '/api/v1/dispatches'), api('GET', '/api/v1/dispatches/open')]);
      const openWs = open.open || [];
      openBox.replaceChildren(...(openWs.length ? [h('div', { class: 'alert-bad' }, h('b', {}, t('dsp.openAtEnd', { n: openWs.length })),
        waybillList('dsp-open-list', openWs, ''))] : []));
      const flagged = new Set(openWs);
      const todays = (bs.batches || []).filter((b) => !b.day || b.day === today());
      days.replaceChildren(...(todays.length ? todays.map((b) => {
        const c = b.counts || {};
        return h('li', { class: 'card', 'data-id': b.id },
          h('div', { class: 'card-head' }, h('b', {}, b.courier), h('span', { class: 'item-sub' }, b.day),
            h('span', { class: 'tag' }, t('dsp.counts', { ...c })),
            c.open ? h('span', { class: 'tag state' }, t('dsp.stillOut', { n: c.open })) : null),
          h('ul', { class: 'list' }, (b.items || []).map((it) => h('li', { class: 'item small-item' + (flagged.has(it.waybill) ? ' flagged' : ''), 'data-waybill': it.waybill },
            h('span', { class: 'item-main grow' }, it.waybill),
            it.reason ? h('span', { class: 'item-sub' }, label('reason.', it.reason)) : null,
            it.disposition ? h('span', { class: 'item-sub' }, label('disp.', it.disposition)) : null,
            h('span', { class: 'tag dstate-' + it.state }, label('dstate.', it.state))))));
      }) : [h('li', { class: 'muted' }, t('empty'))]));
    } catch (err) {
      days.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  root.append(h('div', { class: 'split' },
    h('section', { class: 'panel' }, h('h1', {}, t('dsp.title')),
      field(t('dsp.scan'), scan, 'field-wide'),
      batchTitle, batchList,
      h('div', { class: 'row' }, field(t('dsp.courier'), courier, 'grow'), field(t('dsp.courierName'), courierName, 'grow')),
      h('div', { class: 'field-label pad-title' }, t('dsp.courierSigns')),
      pad.el,
      h('div', { class: 'row pad-tools' }, h('span', { class: 'muted small grow' }, t('dsp.note')), submit)),
    h('section', { class: 'panel side' }, openBox, h('h2', {}, t('dsp.today')), days)));
  drawBatch();
  keepFocus(scan, pageScope, () => Boolean(scan.value.trim() || courier.value.trim() && !batch.size));
  poll(load, 15000, pageScope);
  scan.focus();
}

// ---------------------------------------------------------------------------
// Returns and deliveries (退回 / 妥投)

const REASONS = ['recipient_absent', 'refused', 'address_wrong', 'address_incomplete', 'phone_unreachable', 'outside_area'];
const DISPOSITIONS = ['restock', 'return'];
const OUTCOMES = ['undelivered', 'delivered'];

function renderReturns(root) {
  const scan = h('input', { id: 'ret-scan', class: 'input-scan', autocomplete: 'off', spellcheck: 'false', placeholder: t('scan.barcodeHint') });
  const selBox = h('div', { class: 'selected', id: 'ret-selected' }, h('span', { class: 'muted' }, t('ret.none')));
  const undeliveredBox = h('div', { id: 'ret-undelivered' });
  const deliveredBox = h('div', { id: 'ret-delivered', hidden: true });
  const outcome = choice('outcome', OUTCOMES, 'ret.outcome.', 'undelivered', (v) => {
    undeliveredBox.hidden = v !== 'undelivered';
    deliveredBox.hidden = v !== 'delivered';
  });
  const reason = choice('reason', REASONS, 'reason.', 'recipient_absent');
  const shelf = h('input', { id: 'ret-shelf', inputmode: 'numeric', autocomplete: 'off', value: localStorage.getItem(KEY_SHELF) || '' });
  const layer = h('input', { id: 'ret-layer', inputmode: 'numeric', autocomplete: 'off', value: localStorage.getItem(KEY_LAYER) || '' });
  const placeRow = h('div', { class: 'row' }, field(t('scan.shelf'), shelf, 'short'), field(t('scan.layer'), layer, 'short'));
  const disposition = choice('disposition', DISPOSITIONS, 'disp.', 'restock', (v) => { placeRow.hidden = v !== 'restock'; });
  const note = h('input', { id: 'ret-note', autocomplete: 'off' });
  const retBtn = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'ret-submit', disabled: true }, t('ret.submit'));
  const proofSigner = h('input', { id: 'ret-proof-signer', autocomplete: 'off' });
  const pad = signatureBox({ id: 'ret-sign', hint: t('ret.proofSigns'), scope: pageScope, compact: true });
  const delBtn = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'ret-delivered-submit', disabled: true }, t('ret.deliveredSubmit'));
  const result = h('div', { class: 'result', id: 'ret-result' });
  let selected = null;

  undeliveredBox.append(
    h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('ret.reason')), reason),
    h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('ret.disposition')), disposition),
    placeRow,
    h('div', { class: 'row' }, field(t('ret.note'), note, 'grow'), retBtn));
  deliveredBox.append(field(t('ret.proofSigner'), proofSigner), pad.el, h('div', { class: 'row pad-tools' }, h('span', { class: 'grow' }), delBtn));

  function choose(p) {
    selected = p;
    selBox.replaceChildren(h('span', { class: 'item-main' }, p.waybill),
      h('span', { class: 'item-sub' }, [p.phone_masked, p.name_masked].filter(Boolean).join(' · ')),
      h('span', { class: 'tag' + (p.status === 'out_for_delivery' ? ' state' : ' tag-major') }, label('status.', p.status)));
    retBtn.disabled = delBtn.disabled = false;
  }

  onEnter(scan, async (code) => {
    scan.value = '';
    try {
      const ps = (await api('GET', '/api/v1/parcels/find?' + new URLSearchParams({ waybill: code }))).parcels || [];
      if (!ps.length) throw new Error(t('ret.notFound', { waybill: code }));
      clearError();
      result.replaceChildren();
      choose(ps[0]);
    } catch (err) {
      showError(err);
    }
  });

  retBtn.addEventListener('click', async () => {
    if (!selected) return showError(t('ret.none'));
    const req = { reason: reason.value, disposition: disposition.value };
    if (disposition.value === 'restock') {
      if (!shelf.value.trim()) { shelf.focus(); return showError(t('err.required', { field: t('scan.shelf') })); }
      if (!layer.value.trim()) { layer.focus(); return showError(t('err.required', { field: t('scan.layer') })); }
      req.shelf = shelf.value.trim();
      req.layer = layer.value.trim();
    }
    if (note.value.trim()) req.note = note.value.trim();
    retBtn.disabled = true;
    try {
      const res = await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/undelivered`, req);
      clearError();
      if (req.shelf) { localStorage.setItem(KEY_SHELF, req.shelf); localStorage.setItem(KEY_LAYER, req.layer); }
      const p = res.parcel || {};
      result.replaceChildren(h('div', { class: 'result-card ok' },
        h('div', { class: 'result-head' }, t('ret.done', { waybill: p.waybill || selected.waybill, reason: label('reason.', req.reason) })),
        req.disposition === 'restock'
          ? [h('div', { class: 'code-label' }, t('ret.newCode')), h('div', { class: 'code', id: 'ret-code' }, p.pickup_code || '—')]
          : h('div', { class: 'code code-mid', id: 'ret-code' }, t('ret.toSender')),
        h('div', { class: 'muted' }, label('status.', p.status))));
      reset();
    } catch (err) {
      showError(err);
      retBtn.disabled = false;
    }
  });

  delBtn.addEventListener('click', async () => {
    if (!selected) return showError(t('ret.none'));
    if (!proofSigner.value.trim()) { proofSigner.focus(); return showError(t('err.required', { field: t('ret.proofSigner') })); }
    if (pad.pad.empty()) return showError(t('err.sign'));
    delBtn.disabled = true;
    try {
      const res = await api('POST', `/api/v1/parcels/${encodeURIComponent(selected.waybill)}/delivered`,
        { proof: { signer: proofSigner.value.trim(), svg: pad.pad.toSVG() } });
      clearError();
      result.replaceChildren(h('div', { class: 'result-card ok' }, h('div', { class: 'result-head' }, t('ret.deliveredDone', { waybill: res.parcel?.waybill || selected.waybill }))));
      reset();
    } catch (err) {
      showError(err);
      delBtn.disabled = false;
    }
  });

  function reset() {
    selected = null;
    selBox.replaceChildren(h('span', { class: 'muted' }, t('ret.none')));
    retBtn.disabled = delBtn.disabled = true;
    note.value = '';
    proofSigner.value = '';
    pad.pad.clear();
    scan.focus();
  }

  root.append(h('div', { class: 'split' },
    h('section', { class: 'panel' }, h('h1', {}, t('ret.title')),
      field(t('ret.scan'), scan, 'field-wide'),
      selBox,
      h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('ret.outcome')), outcome),
      undeliveredBox, deliveredBox),
    h('section', { class: 'panel side' }, h('h2', {}, t('ret.result')), result, h('p', { class: 'hint' }, t('ret.hint')))));
  keepFocus(scan, pageScope, () => Boolean(scan.value.trim() || selected));
  scan.focus();
}

// ---------------------------------------------------------------------------
// Sending at the counter (收寄)

const ITEM_TYPES = ['documents', 'clothing', 'electronics', 'fragile', 'food', 'cosmetics', 'other'];

function renderSending(root) {
  const inp = (id, props) => h('input', { id, autocomplete: 'off', ...props });
  const sName = inp('send-sender-name');
  const sPhone = inp('send-sender-phone', { inputmode: 'tel', maxlength: 20 });
  const idType = h('select', { id: 'send-id-type' }, h('option', { value: 'resident_id' }, t('idt.resident_id')));
  const idNumber = inp('send-id-number', { spellcheck: 'false', maxlength: 32 });
  const rName = inp('send-rcpt-name');
  const rPhone = inp('send-rcpt-phone', { inputmode: 'tel', maxlength: 20 });
  const rAddress = inp('send-rcpt-address');
  const dests = h('datalist', { id: 'send-dest-codes' });
  const dest = inp('send-dest', { list: 'send-dest-codes', inputmode: 'numeric', spellcheck: 'false' });
  const advice = h('div', { class: 'advice', id: 'send-advice' });
  let packaging = {};
  const itemType = choice('item_type', ITEM_TYPES, 'item.', 'documents', (v) => { advice.textContent = packaging[v] || ''; });
  const items = inp('send-items');
  const checklist = h('ul', { class: 'list checklist', id: 'send-prohibited' }, h('li', { class: 'muted' }, t('loading')));
  const blocked = h('div', { class: 'alert-bad', id: 'send-blocked', hidden: true });
  const weight = inp('send-weight', { type: 'number', min: 0, step: '0.001', class: 'short-num' });
  const weightFrom = h('span', { class: 'tag', id: 'send-weight-from' }, t('send.manual'));
  const scales = h('div', { class: 'scales', id: 'send-scales' });
  const dim = (id) => inp(id, { type: 'number', min: 0, step: 1, class: 'short-num' });
  const len = dim('send-length'), wid = dim('send-width'), hei = dim('send-height');
  const declared = inp('send-declared', { type: 'number', min: 0, step: '0.01', class: 'short-num' });
  const insured = h('input', { type: 'checkbox', id: 'send-insured' });
  const quoteBtn = h('button', { type: 'button', class: 'btn', id: 'send-quote' }, t('send.quote'));
  const quoteBox = h('div', { class: 'quote', id: 'send-quote-box' });
  const submit = h('button', { type: 'button', class: 'btn btn-primary btn-big', id: 'send-submit' }, t('send.submit'));
  const result = h('div', { class: 'result', id: 'send-result' });
  const left = h('span', { class: 'tag', id: 'send-left' });
  let prohibited = null; // the list in force
  let scaleName = '';    // the scale the shown weight came from ('' = typed)
  const present = new Set();
  const absent = new Set();

  weight.addEventListener('input', () => { scaleName = ''; weightFrom.textContent = t('send.manual'); quoteBox.replaceChildren(); });

  function drawChecklist() {
    if (!prohibited) return;
    checklist.replaceChildren(...prohibited.items.map((it) => {
      const state = absent.has(it.code) ? 'absent' : present.has(it.code) ? 'present' : '';
      const set = (v) => () => {
        absent.delete(it.code); present.delete(it.code);
        (v === 'absent' ? absent : present).add(it.code);
        drawChecklist();
      };
      return h('li', { class: 'check-item ' + state, 'data-code': it.code },
        h('span', { class: 'grow' }, h('b', {}, it.name), ' ',
          h('span', { class: 'tag' + (it.rule === 'forbidden' ? ' tag-major' : '') }, label('rule.', it.rule)),
          it.note ? h('span', { class: 'muted small' }, ' ' + it.note) : null),
        h('button', { type: 'button', class: 'btn btn-small choice-btn' + (state === 'absent' ? ' on' : ''), 'data-absent': it.code, onclick: set('absent') }, t('send.absent')),
        h('button', { type: 'button', class: 'btn btn-small choice-btn' + (state === 'present' ? ' on bad' : ''), 'data-present': it.code, onclick: set('present') }, t('send.present')));
    }));
    const bad = prohibited.items.filter((it) => present.has(it.code));
    blocked.hidden = !bad.length;
    blocked.textContent = bad.length ? t('send.cannotSend', { items: bad.map((it) => it.name).join('、') }) : '';
    submit.disabled = bad.length > 0;
  }

  async function loadCatalog() {
    try {
      const cat = await api('GET', '/api/v1/sending/catalog');
      packaging = cat.packaging || {};
      advice.textContent = packaging[itemType.value] || '';
      idType.replaceChildren(...(cat.id_types || ['resident_id']).map((v) => h('option', { value: v, selected: v === idType.value }, label('idt.', v))));
      dests.replaceChildren(...Object.entries(cat.tariff?.zones || {}).sort().map(([code, zone]) => h('option', { value: code }, code + ' · ' + zone)));
      if (!prohibited || prohibited.version !== cat.prohibited?.version) {
        prohibited = cat.prohibited || null;
        absent.clear(); present.clear();
        if (prohibited) drawChecklist();
        else checklist.replaceChildren(h('li', { class: 'error-text' }, t('send.noList')));
      }
      left.textContent = cat.waybills ? t('send.left', { n: cat.waybills.remaining }) : t('send.noNumbers');
      left.classList.toggle('tag-major', !cat.waybills || cat.waybills.remaining < 10);
    } catch (err) {
      checklist.replaceChildren(h('li', { class: 'error-text' }, err.message));
    }
  }

  async function loadScales() {
    try {
      const devs = ((await api('GET', '/api/v1/devices')).devices || []).filter((d) => d.kind === 'scale');
      scales.replaceChildren(...(devs.length ? devs.map((d) => h('button', {
        type: 'button', class: 'btn btn-scale dev-' + d.state, id: 'send-scale-' + d.name, 'data-scale': d.name, title: [d.detail, d.fix].filter(Boolean).join(' — '),
        onclick: () => readScale(d.name),
      }, h('span', { class: 'dot' }), t('send.readScale', { name: d.name }))) : [h('span', { class: 'muted small' }, t('send.noScale'))]));
    } catch (err) {
      scales.replaceChildren(h('span', { class: 'error-text small' }, t('scan.devicesError', { msg: err.message })));
    }
  }

  // request builds the SendReq from the form; weighing says whether the
  // weight comes from the scale.
  function request() {
    const req = {
      sender: { name: sName.value.trim(), phone: sPhone.value.trim() },
      sender_id_type: idType.value, sender_id_number: idNumber.value.trim(),
      recipient: { name: rName.value.trim(), phone: rPhone.value.trim(), address: rAddress.value.trim(), dest_code: dest.value.trim() },
      item_type: itemType.value, items: items.value.trim(),
      prohibited_version: prohibited?.version || '', prohibited_checked: [...absent],
    };
    if (scaleName) req.scale = scaleName;
    else if (weight.value !== '') req.weight_grams = Math.round(Number(weight.value) * 1000);
    for (const [k, el] of [['length_cm', len], ['width_cm', wid], ['height_cm', hei]]) if (el.value !== '') req[k] = Math.round(Number(el.value));
    if (declared.value !== '') req.declared_fen = Math.round(Number(declared.value) * 100);
    if (insured.checked) req.insured = true;
    return req;
  }

  function showQuote(res) {
    const q = res.quote || {};
    quoteBox.replaceChildren(
      h('table', { class: 'quote-lines' }, (q.lines || []).map((l) => h('tr', {}, h('td', {}, l.text), h('td', { class: 'num' }, yuan(l.fen))))),
      h('div', { class: 'quote-total' }, h('span', {}, t('send.total')), h('b', { id: 'send-total' }, yuan(q.total_fen))),
      h('div', { class: 'muted small' }, t('send.quoteInfo', { w: kg(res.weight_grams), c: kg(q.chargeable_grams), zone: q.zone || '', v: res.tariff_version || '' })));
  }

  async function quote(scale) {
    if (!dest.value.trim()) { dest.focus(); throw new Error(t('err.required', { field: t('send.dest') })); }
    const req = request();
    if (scale) { req.scale = scale; delete req.weight_grams; }
    const res = await api('POST', '/api/v1/sending/quote', req);
    showQuote(res);
    return res;
  }

  async function readScale(name) {
    const btn = $('#send-scale-' + CSS.escape(name));
    if (btn) btn.disabled = true;
    try {
      const res = await quote(name);
      clearError();
      weight.value = (res.weight_grams / 1000).toFixed(3);
      scaleName = name;
      weightFrom.textContent = t('send.fromScale', { name });
    } catch (err) {
      showError(err);
    } finally {
      if (btn) btn.disabled = false;
    }
  }

  quoteBtn.addEventListener('click', async () => {
    try { await quote(); clearError(); } catch (err) { showError(err); }
  });

  submit.addEventListener('click', async () => {
    if (!prohibited) return showError(t('send.noList'));
    const unchecked = prohibited.items.filter((it) => !absent.has(it.code));
    if (unchecked.length) return showError(t('send.confirmAll', { items: unchecked.map((it) => it.name).join('、') }));
    submit.disabled = true;
    try {
      const res = await api('POST', '/api/v1/shipments', request());
      clearError();
      const sh = res.shipment || {};
      result.replaceChildren(h('div', { class: 'result-card ok' },
        h('div', { class: 'result-head' }, t('send.done')),
        h('div', { class: 'code-label' }, t('send.number')),
        h('div', { class: 'code code-waybill', id: 'send-number' }, sh.number || '—'),
        h('div', {}, `${kg(sh.weight_grams)} · ${yuan(sh.quote?.total_fen)} · ${label('item.', sh.item_type)}`),
        h('div', { class: 'muted' }, t('send.parties', {
          s: [sh.sender?.name_masked, sh.sender?.phone_masked, sh.sender_id_masked].filter(Boolean).join(' '),
          r: [sh.recipient?.name_masked, sh.recipient?.phone_masked, sh.recipient?.dest_code].filter(Boolean).join(' '),
        })),
        h('div', { class: 'muted', id: 'send-label' }, res.label_job ? t('send.labelPrinted', { job: res.label_job }) : t('send.noLabel'))));
      for (const el of [sName, sPhone, idNumber, rName, rPhone, rAddress, dest, items, weight, len, wid, hei, declared]) el.value = '';
      insured.checked = false;
      scaleName = '';
      weightFrom.textContent = t('send.manual');
      absent.clear(); present.clear();
      drawChecklist();
      quoteBox.replaceChildren();
      loadCatalog();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = Boolean(prohibited?.items.some((it) => present.has(it.code)));
    }
  });

  // Sized for 1366×768: the parties and the contents on the left, the
  // checklist, weight and price on the right, the result on top of them.
  root.append(h('div', { class: 'split split-send' },
    h('section', { class: 'panel send-form', id: 'send-form' },
      h('div', { class: 'card-head' }, h('h1', {}, t('send.title')), left),
      h('h2', {}, t('send.sender')),
      h('div', { class: 'row' }, field(t('send.name'), sName, 'grow'), field(t('send.phone'), sPhone, 'grow'),
        field(t('send.idType'), idType), field(t('send.idNumber'), idNumber, 'grow id-number')),
      h('h2', {}, t('send.recipient')),
      h('div', { class: 'row' }, field(t('send.name'), rName, 'grow'), field(t('send.phone'), rPhone, 'grow'), field(t('send.dest'), dest, 'short-dest')),
      field(t('send.address'), rAddress, 'field-wide'), dests,
      h('div', { class: 'row send-item' }, h('div', { class: 'group' }, h('span', { class: 'field-label' }, t('send.item')), itemType),
        field(t('send.items'), items, 'grow')),
      advice,
      h('h2', {}, t('send.prohibited')), checklist, blocked),
    h('section', { class: 'panel side send-side' },
      result,
      h('h2', {}, t('send.weight')),
      h('div', { class: 'row row-end' }, field(t('send.weightKg'), weight), scales, weightFrom),
      h('div', { class: 'row' }, field(t('send.length'), len), field(t('send.width'), wid), field(t('send.height'), hei)),
      h('div', { class: 'row row-end' }, field(t('send.declared'), declared), h('label', { class: 'check' }, insured, t('send.insured')), quoteBtn),
      quoteBox,
      h('div', { class: 'row pad-tools' }, h('span', { class: 'grow' }), submit))));
  poll(loadCatalog, 30000, pageScope);
  poll(loadScales, 5000, pageScope);
  sName.focus();
}

// ---------------------------------------------------------------------------
// Notices

function renderNotices(root) {
  root.append(h('section', { class: 'panel notices' }, h('h1', {}, t('ntc.title')), h('div', { id: 'notice-list' }, t('loading'))));
  renderNoticeList();
  // Fetch now, so the page shows an error if the route fails.
  api('GET', '/api/v1/notices?active=1').then((res) => {
    notices = res.notices || [];
    renderNoticeList();
    renderNoticeBanner();
  }).catch((err) => {
    const box = $('#notice-list');
    if (box) box.replaceChildren(h('p', { class: 'error-text' }, err.message));
  });
}

function renderNoticeList() {
  const box = $('#notice-list');
  if (!box) return;
  const me = currentStaff()?.id;
  if (!notices.length) {
    box.replaceChildren(h('p', { class: 'muted' }, t('ntc.none')));
    return;
  }
  box.replaceChildren(...notices.map((n) => {
    // Staff ids are per outlet; an acknowledgement elsewhere is not ours.
    const outlet = lastSync?.outlet;
    const acked = (n.acknowledged_by || []).some((a) => a.staff === me && (!a.outlet || !outlet || a.outlet === outlet));
    const ack = h('button', { type: 'button', class: 'btn btn-primary', 'data-ack': n.id, disabled: acked }, acked ? t('ntc.acked') : t('ntc.ack'));
    ack.addEventListener('click', async () => {
      ack.disabled = true;
      try {
        await api('POST', `/api/v1/notices/${encodeURIComponent(n.id)}/ack`);
        clearError();
        ack.textContent = t('ntc.acked');
        refreshNotices();
      } catch (err) {
        showError(err);
        ack.disabled = false;
      }
    });
    return h('article', { class: 'notice sev-' + (n.severity || 'info'), 'data-id': n.id },
      h('div', { class: 'card-head' },
        h('span', { class: 'tag' }, label('nsev.', (n.severity || 'info'))),
        h('b', {}, n.title),
        n.ended ? h('span', { class: 'tag' }, t('ntc.ended')) : null,
        h('span', { class: 'muted small' }, t('ntc.valid', { from: fmtTime(n.valid_from), to: fmtTime(n.valid_to) }))),
      h('p', { class: 'notice-body' }, n.text),
      n.faq?.length ? h('div', { class: 'faq' }, h('h3', {}, t('ntc.faq')),
        n.faq.map((f) => h('details', { open: true }, h('summary', {}, f.q), h('p', {}, f.a)))) : null,
      ack);
  }));
}

// ---------------------------------------------------------------------------
// Start

function start() {
  $('#lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem(KEY_LANG, lang);
    route();
    renderSync();
  });
  $('#logout').addEventListener('click', logout);
  $('#error-close').addEventListener('click', clearError);
  window.addEventListener('hashchange', () => { clearError(); route(); });
  // Sync status and notices are on every page, before and after login.
  poll(refreshSync, 2000);
  poll(refreshNotices, 30000);
  route();
}

start();
