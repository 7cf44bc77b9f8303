// The dashboard's words, Chinese first (the users'), English as a switch.
// One table for every view; a view may add its own keys with extend().
// Keys are dotted names; values may hold {name} placeholders.

const tables = {
  zh: {
    'app.title': '平安巡防',
    'nav.map': '实时地图',
    'nav.calendar': '巡防日历',
    'nav.hazards': '隐患整改',
    'nav.overview': '平安全景',
    'nav.admin': '用户管理',
    'nav.pages': '页面',
    'err.403': '无权限：{detail}',
    'err.404': '找不到该记录（可能已被删除或不在您的管辖范围）',
    'err.409': '操作冲突：{detail}',
    'err.413': '文件或数据太大',
    'err.422': '填写有误：{detail}',
    'err.429': '操作太频繁，请稍后再试',
    'err.503': '服务器繁忙，请稍后重试',
    'err.other': '出错了（{status}）：{detail}',
    'err.field': '「{field}」{problem}',
    'problem.required': '必填',
    'problem.invalid': '格式不正确',
    'problem.conflict': '已存在',
    'problem.not_found': '不存在或不在您的范围内',
    'problem.out_of_range': '超出允许范围',
    'problem.too_long': '太长',
    'common.save': '保存',
    'common.cancel': '取消',
    'common.delete': '删除',
    'common.close': '关闭',
    'common.back': '返回',
    'common.edit': '编辑',
    'common.saving': '正在保存…',
    'common.saved': '已保存',
    'common.loading': '加载中…',
    'common.all': '全部',
    'common.confirm_again': '再点一次确认',
    'common.refresh': '刷新',
    'common.download': '下载',
    'lang.switch': 'EN',
    'lang.switch_title': 'Switch to English',
    'login.title': '登录',
    'login.phone': '手机号',
    'login.password': '密码',
    'login.remember': '在此设备上保持登录',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.invalid': '手机号或密码错误',
    'login.throttled': '尝试次数过多，请稍后再试',
    'logout': '退出',
    'error.network': '网络不可用，请稍后重试',
    'error.generic': '出错了：{message}',
    'error.vendor': '地图组件未安装（运行 scripts/dev.sh deps）',
    'conn.connecting': '连接中',
    'conn.live': '实时',
    'conn.polling': '定时刷新',
    'conn.offline': '已断开，重连中',
    'conn.forbidden': '无权查看',
    'sound.on_title': 'SOS 提示音已开启（点击关闭）',
    'sound.off_title': 'SOS 提示音已关闭（点击开启）',
    'sos.title': '紧急求助 SOS',
    'sos.from': '{name} 于 {time} 发出求助',
    'sos.ack': '已知晓',
    'sos.locate': '定位',
    'sos.more': '另有 {n} 条',
    'filter.all_towns': '全部镇街',
    'filter.all_villages': '全部村社',
    'filter.all_teams': '全部队伍',
    'filter.town': '镇街',
    'filter.village': '村社',
    'filter.team': '队伍',
    'tab.rounds': '今晚巡防',
    'tab.feed': '最新上报',
    'tab.detail': '详情',
    'rounds.none': '今天没有计划的巡防',
    'rounds.progress': '已巡 {visited}/{planned} 处',
    'rounds.distance': '{km} 公里',
    'rounds.on_duty': '在岗',
    'rounds.nobody': '暂无队员位置',
    'rounds.last_seen': '最后出现 {age}',
    'round.planned': '未开始',
    'round.in_progress': '进行中',
    'round.completed': '已完成',
    'round.missed': '漏巡',
    'round.cancelled': '已取消',
    'feed.none': '暂无上报',
    'feed.all_ok': '全部正常',
    'feed.failing': '发现 {n} 项隐患',
    'detail.none': '点击地图上的场所、队员或隐患查看详情',
    'detail.site': '场所',
    'detail.category': '类别',
    'detail.address': '地址',
    'detail.open_hazards': '未整改隐患',
    'detail.recent': '最近检查',
    'detail.no_inspections': '暂无检查记录',
    'detail.inspection': '检查记录',
    'detail.by': '检查人',
    'detail.at': '时间',
    'detail.note': '备注',
    'detail.items': '检查项',
    'detail.photos': '照片',
    'detail.photo_missing': '照片未到',
    'detail.photo_failed': '照片无法加载',
    'detail.hazard': '隐患',
    'detail.state': '状态',
    'detail.severity': '等级',
    'detail.occurrences': '发现次数',
    'detail.first_found': '首次发现',
    'detail.last_found': '最近发现',
    'detail.deadline': '整改期限',
    'detail.overdue': '已超期',
    'detail.history': '处理记录',
    'detail.no_history': '暂无处理记录',
    'detail.volunteer': '队员',
    'detail.position': '位置',
    'detail.accuracy': '精度 {m} 米',
    'detail.track_points': '轨迹点',
    'detail.online': '在线',
    'detail.offline': '离线',
    'detail.open_site': '查看场所',
    'detail.back': '返回',
    'result.ok': '正常',
    'result.hazard': '隐患',
    'result.not_applicable': '不适用',
    'hazard.open': '待处理',
    'hazard.assigned': '已派单',
    'hazard.rectified': '已整改',
    'hazard.verified': '已核查',
    'hazard.closed': '已销号',
    'severity.low': '一般',
    'severity.medium': '较大',
    'severity.high': '重大',
    'severity.critical': '特别重大',
    'age.now': '刚刚',
    'age.s': '{n}秒前',
    'age.m': '{n}分钟前',
    'age.h': '{n}小时前',
    'age.d': '{n}天前',
    'map.legend': '图例',
    'legend.volunteer': '队员（最新位置）',
    'legend.stale': '位置已过时',
    'legend.hazard': '未整改隐患',
    'legend.hazard_cluster': '相邻几处的隐患（点击放大）',
    'map.cluster': '{sites} 处场所共 {n} 条隐患：{names}',
    'map.cluster_more': '等',
    'legend.trail': '本轮轨迹',
    'map.stale': '超过 {n} 分钟未更新',
    'map.no_tiles': '未配置底图：显示村社轮廓',
    'map.locate_all': '显示全部',
    'sheet.toggle': '展开/收起',
    'cat.shop': '小商店', 'cat.eatery': '小餐饮', 'cat.inn': '小旅馆', 'cat.karaoke': '小歌舞娱乐',
    'cat.internet_cafe': '小网吧', 'cat.beauty_bath': '小美容洗浴', 'cat.workshop': '小生产加工',
    'cat.school': '小学校/幼儿园', 'cat.clinic': '小医院/诊所', 'cat.rental_housing': '出租屋',
    'cat.road_junction': '交通要道', 'cat.stairwell': '楼道', 'cat.square': '广场',
    'role.city_admin': '市级管理员', 'role.town_staff': '镇街工作人员', 'role.village_admin': '村社管理员',
    'role.team_leader': '队长', 'role.volunteer': '队员',
  },
  en: {
    'app.title': 'Patrol',
    'nav.map': 'Live map',
    'nav.calendar': 'Rounds',
    'nav.hazards': 'Hazards',
    'nav.overview': 'Overview',
    'nav.admin': 'Users',
    'nav.pages': 'Pages',
    'err.403': 'Not allowed: {detail}',
    'err.404': 'Not found (deleted, or outside your area)',
    'err.409': 'Conflict: {detail}',
    'err.413': 'File or data too large',
    'err.422': 'Please check: {detail}',
    'err.429': 'Too many requests, try again shortly',
    'err.503': 'Server busy, try again shortly',
    'err.other': 'Error ({status}): {detail}',
    'err.field': '“{field}” {problem}',
    'problem.required': 'is required',
    'problem.invalid': 'is not valid',
    'problem.conflict': 'already exists',
    'problem.not_found': 'does not exist in your area',
    'problem.out_of_range': 'is out of range',
    'problem.too_long': 'is too long',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.delete': 'Delete',
    'common.close': 'Close',
    'common.back': 'Back',
    'common.edit': 'Edit',
    'common.saving': 'Saving…',
    'common.saved': 'Saved',
    'common.loading': 'Loading…',
    'common.all': 'All',
    'common.confirm_again': 'Tap again to confirm',
    'common.refresh': 'Refresh',
    'common.download': 'Download',
    'lang.switch': '中文',
    'lang.switch_title': '切换到中文',
    'login.title': 'Log in',
    'login.phone': 'Phone',
    'login.password': 'Password',
    'login.remember': 'Keep me signed in on this device',
    'login.submit': 'Log in',
    'login.busy': 'Logging in…',
    'login.invalid': 'Wrong phone number or password',
    'login.throttled': 'Too many attempts, try again shortly',
    'logout': 'Log out',
    'error.network': 'Network unavailable, try again shortly',
    'error.generic': 'Something went wrong: {message}',
    'error.vendor': 'Map library not installed (run scripts/dev.sh deps)',
    'conn.connecting': 'Connecting',
    'conn.live': 'Live',
    'conn.polling': 'Refreshing',
    'conn.offline': 'Disconnected, retrying',
    'conn.forbidden': 'Not allowed',
    'sound.on_title': 'SOS sound on (click to mute)',
    'sound.off_title': 'SOS sound off (click to enable)',
    'sos.title': 'SOS',
    'sos.from': '{name} asked for help at {time}',
    'sos.ack': 'Acknowledge',
    'sos.locate': 'Locate',
    'sos.more': '{n} more',
    'filter.all_towns': 'All towns',
    'filter.all_villages': 'All villages',
    'filter.all_teams': 'All teams',
    'filter.town': 'Town',
    'filter.village': 'Village',
    'filter.team': 'Team',
    'tab.rounds': "Tonight's rounds",
    'tab.feed': 'Latest reports',
    'tab.detail': 'Details',
    'rounds.none': 'No rounds planned today',
    'rounds.progress': '{visited} of {planned} sites visited',
    'rounds.distance': '{km} km',
    'rounds.on_duty': 'On duty',
    'rounds.nobody': 'No volunteer positions yet',
    'rounds.last_seen': 'last seen {age}',
    'round.planned': 'Planned',
    'round.in_progress': 'In progress',
    'round.completed': 'Completed',
    'round.missed': 'Missed',
    'round.cancelled': 'Cancelled',
    'feed.none': 'No reports yet',
    'feed.all_ok': 'All OK',
    'feed.failing': '{n} failing',
    'detail.none': 'Tap a site, volunteer or hazard on the map for details',
    'detail.site': 'Site',
    'detail.category': 'Category',
    'detail.address': 'Address',
    'detail.open_hazards': 'Open hazards',
    'detail.recent': 'Recent inspections',
    'detail.no_inspections': 'No inspections yet',
    'detail.inspection': 'Inspection',
    'detail.by': 'By',
    'detail.at': 'At',
    'detail.note': 'Note',
    'detail.items': 'Items',
    'detail.photos': 'Photos',
    'detail.photo_missing': 'photo not arrived yet',
    'detail.photo_failed': 'photo could not be loaded',
    'detail.hazard': 'Hazard',
    'detail.state': 'State',
    'detail.severity': 'Severity',
    'detail.occurrences': 'Times found',
    'detail.first_found': 'First found',
    'detail.last_found': 'Last found',
    'detail.deadline': 'Deadline',
    'detail.overdue': 'Overdue',
    'detail.history': 'History',
    'detail.no_history': 'No history yet',
    'detail.volunteer': 'Volunteer',
    'detail.position': 'Position',
    'detail.accuracy': 'accuracy {m} m',
    'detail.track_points': 'Track points',
    'detail.online': 'online',
    'detail.offline': 'offline',
    'detail.open_site': 'Open site',
    'detail.back': 'Back',
    'result.ok': 'OK',
    'result.hazard': 'Hazard',
    'result.not_applicable': 'N/A',
    'hazard.open': 'Open',
    'hazard.assigned': 'Assigned',
    'hazard.rectified': 'Rectified',
    'hazard.verified': 'Verified',
    'hazard.closed': 'Closed',
    'severity.low': 'Low',
    'severity.medium': 'Medium',
    'severity.high': 'High',
    'severity.critical': 'Critical',
    'age.now': 'just now',
    'age.s': '{n}s ago',
    'age.m': '{n} min ago',
    'age.h': '{n} h ago',
    'age.d': '{n} d ago',
    'map.legend': 'Legend',
    'legend.volunteer': 'Volunteer (latest position)',
    'legend.stale': 'Position out of date',
    'legend.hazard': 'Open hazard',
    'legend.hazard_cluster': 'Hazards of neighbouring sites (tap to zoom in)',
    'map.cluster': '{n} hazards at {sites} sites: {names}',
    'map.cluster_more': ' and more',
    'legend.trail': 'Trail this round',
    'map.stale': 'not updated for over {n} min',
    'map.no_tiles': 'No base map configured: village outlines shown',
    'map.locate_all': 'Show all',
    'sheet.toggle': 'Expand/collapse',
    'cat.shop': 'Shop', 'cat.eatery': 'Eatery', 'cat.inn': 'Inn', 'cat.karaoke': 'Karaoke/dance',
    'cat.internet_cafe': 'Internet café', 'cat.beauty_bath': 'Beauty/bath', 'cat.workshop': 'Workshop',
    'cat.school': 'School/kindergarten', 'cat.clinic': 'Clinic', 'cat.rental_housing': 'Rental housing',
    'cat.road_junction': 'Road junction', 'cat.stairwell': 'Stairwell', 'cat.square': 'Square',
    'role.city_admin': 'City admin', 'role.town_staff': 'Town staff', 'role.village_admin': 'Village admin',
    'role.team_leader': 'Team leader', 'role.volunteer': 'Volunteer',
  },
};

const listeners = new Set();
let lang = (() => {
  try { return localStorage.getItem('patrol.lang') === 'en' ? 'en' : 'zh'; } catch { return 'zh'; }
})();

export function currentLang() { return lang; }

// The BCP 47 tag for dates and numbers.
export function locale() { return lang === 'en' ? 'en-GB' : 'zh-CN'; }

// Adds or overrides keys: extend({zh: {...}, en: {...}}). For pages that plug in.
export function extend(more) {
  for (const [l, table] of Object.entries(more)) Object.assign(tables[l] ??= {}, table);
}

// The text for key in the current language ({name} placeholders filled from vars);
// falls back to Chinese, then to the key itself so a missing word is visible.
export function t(key, vars) {
  let s = tables[lang][key] ?? tables.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] ?? m));
  return s;
}

// Fills every [data-i18n] element under root with its text (and [data-i18n-title] titles).
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  try { localStorage.setItem('patrol.lang', lang); } catch { /* private mode */ }
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  translate();
  for (const fn of listeners) fn(lang);
}

// fn(lang) after every switch; returns the unsubscribe function.
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// "3 min ago" for a time in ms (or an RFC 3339 string).
export function age(when, now = Date.now()) {
  const ms = typeof when === 'number' ? when : Date.parse(when);
  if (!Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 10) return t('age.now');
  if (s < 60) return t('age.s', { n: s });
  if (s < 3600) return t('age.m', { n: Math.floor(s / 60) });
  if (s < 86400) return t('age.h', { n: Math.floor(s / 3600) });
  return t('age.d', { n: Math.floor(s / 86400) });
}

// Times are shown in the patrols' time zone (rounds are planned in it), not
// the browser's: a command room abroad or a UTC laptop still reads 19:05.
let zone = 'Asia/Shanghai';
export function setTimeZone(tz) { if (tz) zone = tz; }
export function timeZone() { return zone; }

// "19:05" (today in the zone) or "11-28 19:05".
export function clock(when) {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return '';
  const day = (x) => x.toLocaleDateString('en-CA', { timeZone: zone });
  const opts = day(d) === day(new Date())
    ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone }
    : { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone };
  return d.toLocaleString(locale(), opts);
}
