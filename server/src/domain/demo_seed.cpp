#include "domain/demo_seed.hpp"

#include "domain/round_planner.hpp"

#include <chrono>
#include <cstdio>

#include "patrol/wire/uuid.hpp"

namespace patrol::domain {
namespace {

using store::ChecklistTemplate;
using store::TemplateItem;

struct ItemDef {
  const char* code;
  const char* zh;
  const char* en;
  const char* severity;
  bool photo;
};

// The checklist items users expect (DESIGN.md "Domain words").
constexpr ItemDef kItems[] = {
    {"window_throwing", "窗外抛物", "Objects thrown from windows", "high", true},
    {"flying_wire_charging", "飞线充电", "Dangling-cable (flying lead) e-bike charging", "critical",
     true},
    {"corridor_clutter", "楼道杂物", "Clutter in corridors and stairwells", "medium", true},
    {"ebike_indoor", "电动车入户或楼道停放充电", "E-bike parked or charged indoors", "high", true},
    {"fire_exit_blocked", "消防通道或安全出口堵塞", "Blocked fire lane or emergency exit",
     "critical", true},
    {"extinguisher_missing", "灭火器缺失或过期", "Fire extinguisher missing or expired", "medium",
     false},
    {"improvised_wiring", "私拉乱接电线", "Improvised electrical wiring", "high", true},
    {"gas_misuse", "瓶装燃气使用不规范", "Bottled gas used unsafely", "critical", true},
    {"three_in_one", "三合一场所住人", "People living in the workshop or shop (three-in-one)",
     "critical", true},
    {"window_bars_no_escape", "防盗窗未留逃生口", "Window bars without an escape hatch", "medium",
     false},
    {"unregistered_tenants", "租住人员未登记", "Unregistered tenants", "low", false},
    {"anti_fraud_leaflet", "反诈宣传资料未发放", "Anti-fraud leaflet not yet handed out", "low",
     false},
};

ChecklistTemplate make_template(const char* id, const char* name,
                                std::vector<std::string> categories,
                                std::initializer_list<std::string_view> skip) {
  ChecklistTemplate t;
  t.id = id;
  t.version = 1;
  t.name = name;
  t.categories = std::move(categories);
  for (const auto& d : kItems) {
    bool skipped = false;
    for (auto s : skip) skipped |= (s == d.code);
    if (!skipped) t.items.push_back(TemplateItem{d.code, d.zh, d.en, d.severity, d.photo});
  }
  return t;
}

struct SiteDef {
  std::int64_t org;
  const char* name;
  const char* category;
  const char* address;
  double lat;
  double lon;
};

const char* template_for(std::string_view category) {
  if (category == "rental_housing") return "tpl-rental-housing";
  if (category == "road_junction" || category == "stairwell" || category == "square")
    return "tpl-public-spot";
  return "tpl-small-premises";
}

}  // namespace

std::vector<ChecklistTemplate> builtin_templates() {
  return {
      make_template("tpl-small-premises", "九小场所安全检查",
                    {"shop", "eatery", "inn", "karaoke", "internet_cafe", "beauty_bath", "workshop",
                     "school", "clinic"},
                    {"unregistered_tenants"}),
      make_template("tpl-rental-housing", "出租屋安全检查", {"rental_housing"}, {}),
      make_template("tpl-public-spot", "公共区域巡查", {"road_junction", "stairwell", "square"},
                    {"three_in_one", "unregistered_tenants"}),
  };
}

store::SeedData demo_seed(store::Ms now, const std::function<std::string(std::string_view)>& hash) {
  store::SeedData d;
  auto add_org = [&](std::int64_t id, std::optional<std::int64_t> parent, const char* kind,
                     const char* name) {
    std::string path = "/" + std::to_string(id) + "/";
    if (parent) {
      for (const auto& o : d.org_units)
        if (o.id == *parent) path = o.path + std::to_string(id) + "/";
    }
    d.org_units.push_back({id, parent, kind, name, path});
  };
  auto path_of = [&](std::int64_t id) {
    for (const auto& o : d.org_units)
      if (o.id == id) return o.path;
    return std::string("/");
  };

  add_org(kLinhaiId, std::nullopt, "city", "临海市");
  // Linhai's 5 streets and 14 towns.
  const char* towns[] = {"大田街道",   "东塍镇", "古城街道", "江南街道", "大洋街道",
                         "邵家渡街道", "汛桥镇", "杜桥镇",   "上盘镇",   "桃渚镇",
                         "小芝镇",     "河头镇", "白水洋镇", "括苍镇",   "永丰镇",
                         "尤溪镇",     "涌泉镇", "沿江镇",   "汇溪镇"};
  std::int64_t id = 2;
  for (const char* t : towns) {
    add_org(id++, kLinhaiId, "town", t);
  }
  add_org(kDatianLiuVillageId, kDatianStreetId, "village", "大田刘村");
  add_org(kDongxiShanVillageId, kDongchengTownId, "village", "东溪单村");
  add_org(23, kDatianStreetId, "village", "下涨村");
  add_org(24, kDongchengTownId, "village", "东塍村");
  add_org(25, kDatianLiuVillageId, "grid", "大田刘村第一网格");
  add_org(26, kDatianLiuVillageId, "grid", "大田刘村第二网格");
  add_org(27, kDongxiShanVillageId, "grid", "东溪单村网格");

  struct UserDef {
    const char* phone;
    const char* name;
    const char* role;
    std::int64_t org;
  };
  // The demo logins of DESIGN.md, plus two more volunteers for the team and
  // the village admin of 大田刘村 (DESIGN part 2).
  const UserDef users[] = {
      {"13900000000", "王志明", "city_admin", kLinhaiId},
      {"13900000001", "刘海峰", "team_leader", kDatianLiuVillageId},
      {"13900000002", "刘小燕", "volunteer", kDatianLiuVillageId},
      {"13900000003", "单立群", "volunteer", kDongxiShanVillageId},
      {"13900000004", "陈伟", "town_staff", kDatianStreetId},
      {"13900000005", "刘德明", "volunteer", kDatianLiuVillageId},
      {"13900000006", "周丽娟", "volunteer", kDatianLiuVillageId},
      {"13900000007", "刘建国", "village_admin", kDatianLiuVillageId},
  };
  for (const auto& u : users) {
    store::SeedUser su;
    su.user = {wire::make_uuid_v7(), u.phone, u.name, u.role, u.org, path_of(u.org)};
    su.password_hash = hash(kDemoPassword);
    d.users.push_back(std::move(su));
  }

  d.templates = builtin_templates();

  const SiteDef sites[] = {
      {kDatianLiuVillageId, "刘村便民超市", "shop", "大田刘村中街12号", 28.8571, 121.1432},
      {kDatianLiuVillageId, "大田副食品店", "shop", "大田刘村前街3号", 28.8563, 121.1418},
      {kDatianLiuVillageId, "刘村快递驿站", "shop", "大田刘村中街20号", 28.8576, 121.1440},
      {kDatianLiuVillageId, "老刘家面馆", "eatery", "大田刘村中街5号", 28.8568, 121.1425},
      {kDatianLiuVillageId, "大田小吃店", "eatery", "大田刘村后街7号", 28.8582, 121.1421},
      {kDatianLiuVillageId, "刘村烧烤店", "eatery", "大田刘村前街15号", 28.8559, 121.1437},
      {kDatianLiuVillageId, "大田客栈", "inn", "大田刘村后街1号", 28.8586, 121.1429},
      {kDatianLiuVillageId, "金嗓子KTV", "karaoke", "大田刘村大田路88号", 28.8552, 121.1450},
      {kDatianLiuVillageId, "极速网吧", "internet_cafe", "大田刘村大田路92号", 28.8549, 121.1455},
      {kDatianLiuVillageId, "丽人美发店", "beauty_bath", "大田刘村中街9号", 28.8570, 121.1428},
      {kDatianLiuVillageId, "刘村五金加工坊", "workshop", "大田刘村工业路2号", 28.8595, 121.1462},
      {kDatianLiuVillageId, "大田竹木制品厂", "workshop", "大田刘村工业路6号", 28.8599, 121.1470},
      {kDatianLiuVillageId, "小蜜蜂幼儿园", "school", "大田刘村文化路1号", 28.8545, 121.1410},
      {kDatianLiuVillageId, "刘村卫生室", "clinic", "大田刘村文化路3号", 28.8547, 121.1415},
      {kDatianLiuVillageId, "刘村12号出租屋", "rental_housing", "大田刘村后街12号", 28.8588,
       121.1436},
      {kDatianLiuVillageId, "刘村35号出租屋", "rental_housing", "大田刘村后街35号", 28.8591,
       121.1445},
      {kDatianLiuVillageId, "前街8号出租楼", "rental_housing", "大田刘村前街8号", 28.8561,
       121.1430},
      {kDatianLiuVillageId, "大田路与刘村路交叉口", "road_junction", "大田路/刘村路", 28.8550,
       121.1443},
      {kDatianLiuVillageId, "刘村公寓1幢楼道", "stairwell", "大田刘村公寓1幢", 28.8579, 121.1449},
      {kDatianLiuVillageId, "刘村公寓2幢楼道", "stairwell", "大田刘村公寓2幢", 28.8581, 121.1453},
      {kDatianLiuVillageId, "刘村文化广场", "square", "大田刘村文化路", 28.8555, 121.1422},
      {kDatianLiuVillageId, "刘村老年活动中心", "square", "大田刘村文化路5号", 28.8553, 121.1417},
      {kDongxiShanVillageId, "单村小卖部", "shop", "东溪单村村口1号", 28.8812, 121.0533},
      {kDongxiShanVillageId, "东溪农家乐", "eatery", "东溪单村溪边路6号", 28.8820, 121.0541},
      {kDongxiShanVillageId, "东溪单村18号出租屋", "rental_housing", "东溪单村18号", 28.8816,
       121.0527},
      {kDongxiShanVillageId, "东溪文化礼堂广场", "square", "东溪单村文化礼堂", 28.8809, 121.0538},
  };
  std::vector<std::string> liu_sites;
  for (const auto& s : sites) {
    store::Site x;
    x.id = wire::make_uuid_v7();
    x.org_unit_id = s.org;
    x.org_path = path_of(s.org);
    x.name = s.name;
    x.category = s.category;
    x.address = s.address;
    x.lat = s.lat;
    x.lon = s.lon;
    x.template_id = template_for(s.category);
    x.updated_at = now;
    if (s.org == kDatianLiuVillageId) liu_sites.push_back(x.id);
    d.sites.push_back(std::move(x));
  }

  store::Team team;
  team.id = wire::make_uuid_v7();
  team.org_unit_id = kDatianLiuVillageId;
  team.org_path = path_of(kDatianLiuVillageId);
  team.name = "奋进平安巡防队";
  for (const auto& u : d.users) {
    if (u.user.org_unit_id != kDatianLiuVillageId || u.user.role == "village_admin") continue;
    bool leader = u.user.role == "team_leader";
    if (leader) team.leader_id = u.user.id;
    team.members.push_back({u.user.id, u.user.name, leader ? "leader" : "member"});
  }
  d.teams.push_back(team);

  store::Schedule sch;
  sch.id = wire::make_uuid_v7();
  sch.team_id = team.id;
  sch.org_unit_id = kDatianLiuVillageId;
  sch.org_path = team.org_path;
  sch.name = "周一三五夜间巡防";
  sch.weekdays = {1, 3, 5};
  sch.start_time = "19:00";
  sch.duration_min = 120;
  sch.tz = "Asia/Shanghai";
  // The evening walk: a dozen of the village's sites in walking order.
  for (std::size_t k = 0; k < liu_sites.size() && k < 12; ++k) sch.route.push_back(liu_sites[k]);

  // Rounds planned three weeks ahead (the server's horizon extends them).
  auto today = utc_to_local_date(now, kDefaultTz);
  sch.starts_on = format_date(add_days(today.value_or(CivilDate{}), -7));
  sch.updated_at = now;
  d.schedules.push_back(sch);
  if (auto rounds = plan_rounds(sch, now, now + 21LL * 24 * 3600 * 1000, now)) d.rounds = *rounds;
  return d;
}

}  // namespace patrol::domain
