"""Synthetic cases with realistic Chinese text and distributions, loaded with binary COPY.

Titles and contents are drawn from township and 12345-hotline topics (noise, illegal building,
unpaid wages, property fees, …) with Zipf-like weights; places follow a long tail, so some
words are common and some rare (the text-search runs ask for both). Cases are spread over three
years, more of them recent; recent cases are open, old ones mostly archived. Open cases that a
unit is handling carry a running ``handling`` timer, a tenth of them past due.

Serials use the prefix ``HIS`` (an imported history), so they never collide with cases taken in
over HTTP.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from bench.common import Progress

PLACES = [
    "南溪村",
    "幸福小区",
    "东风路",
    "建设街",
    "滨江花园",
    "新华社区",
    "城关镇",
    "青石村",
    "桃源小区",
    "人民路",
    "和平里",
    "柳树湾",
    "金桥新村",
    "北门菜市场",
    "实验小学",
    "镇卫生院",
    "汽车站",
    "工业园区",
    "红旗村",
    "锦绣华府",
    "翠竹苑",
    "阳光家园",
    "西湖村",
    "长安街",
    "文化广场",
    "凤凰山",
    "梧桐巷",
    "大桥头",
    "新城商业街",
    "龙泉社区",
    "白沙村",
    "松林小区",
    "枫叶路",
    "石桥村",
    "银杏苑",
    "海棠湾",
    "紫荆花园",
    "玉兰路",
    "芙蓉街",
    "杏花村",
]
PLACE_WEIGHTS = [1 / (i + 1) ** 1.1 for i in range(len(PLACES))]
RARE_PLACES = ["鹭鸶洲", "麒麟坳", "鸳鸯溪"]  # each in about one case in ten thousand

TOPICS = [
    ("噪音扰民", "noise", "夜间施工噪音扰民，严重影响居民休息", "要求相关部门依法查处，限定施工时间"),
    ("占道经营", "street", "商贩长期占道经营，堵塞交通，垃圾遍地", "请城管部门加强管理，恢复道路通行"),
    ("违章搭建", "building", "有住户在楼顶违章搭建彩钢房，存在安全隐患", "要求依法拆除违法建筑"),
    ("拖欠工资", "wages", "某建筑公司拖欠农民工工资三个月未发放", "请劳动监察部门督促企业尽快支付工资"),
    ("物业收费", "property", "物业公司擅自提高物业费标准，服务质量却不断下降", "要求物业公司公开收费依据"),
    ("垃圾清运", "garbage", "生活垃圾多日无人清运，气味难闻，蚊蝇滋生", "请环卫部门及时清运"),
    ("路灯不亮", "lighting", "路段路灯损坏一个多月无人维修，夜间出行不便", "请尽快安排维修"),
    ("低保评定", "welfare", "低保评定过程不公开，怀疑有优亲厚友现象", "要求公开评定名单和程序"),
    ("村务公开", "disclosure", "村务公开栏长期未更新，财务收支情况不公开", "要求按规定及时公开村务"),
    ("食品安全", "food", "在超市购买的食品已过保质期，商家拒绝退换", "要求市场监管部门调查处理"),
    ("退款纠纷", "refund", "网购商品质量有问题，商家拖延退款", "请求协调退款"),
    ("停水停电", "utility", "小区频繁停水停电且没有提前通知", "请相关单位说明原因并提前公告"),
    ("环境污染", "pollution", "附近工厂夜间偷排废水，河水发黑发臭", "要求环保部门立即查处"),
    ("交通安全", "traffic", "学校门口没有减速带和斑马线，学生过马路很危险", "建议增设交通安全设施"),
    ("医疗服务", "medical", "医院挂号难，医生态度生硬", "希望改进服务流程"),
    ("教育收费", "school", "学校以资料费名义乱收费", "要求教育部门核查并退还"),
    ("征地补偿", "land", "征地补偿款迟迟未发放到户", "要求公开补偿标准并尽快兑现"),
    ("房屋漏水", "housing", "楼上住户装修导致房屋漏水，协商无果", "请社区协调解决"),
    ("宠物扰民", "pets", "邻居饲养大型犬，不拴绳，多次吓到老人小孩", "要求依法规范养犬"),
    ("充电安全", "charging", "电动车在楼道内充电，存在火灾隐患", "请物业和消防部门加强管理"),
    ("公交线路", "bus", "公交车班次太少，早晚高峰等车时间过长", "建议增加班次"),
    ("医保报销", "insurance", "异地就医医保报销手续繁琐，材料反复提交", "希望简化报销流程"),
    ("办事效率", "efficiency", "到窗口办理业务多次被要求补交材料，来回跑了五趟", "要求一次性告知所需材料"),
    ("工作作风", "conduct", "工作人员上班时间玩手机，对群众询问不理不睬", "要求加强作风建设"),
]
TOPIC_WEIGHTS = [1 / (i + 1) ** 0.8 for i in range(len(TOPICS))]
OPENERS = ["投诉人来电反映：", "群众来信反映，", "市民通过网站留言称，", "来访人反映，", "据投诉人介绍，"]
TIMES = ["近一个月来，", "自去年年底以来，", "最近几天，", "今年以来，", "长期以来，", ""]
EXTRAS = [
    "投诉人表示此前已向社区反映过，但问题一直没有解决。",
    "周边居民意见很大，已有多人联名反映。",
    "投诉人情绪较为激动，希望尽快得到答复。",
    "",
    "投诉人提供了现场照片作为证据。",
]
KINDS = [("complaint", 0.62), ("report", 0.18), ("consultation", 0.20)]
CHANNELS = [("phone", 0.55), ("web", 0.22), ("letter", 0.08), ("visit", 0.08), ("email", 0.04), ("box", 0.03)]
OPEN_STATES = [
    ("received", 0.10),
    ("registered", 0.08),
    ("accepted", 0.07),
    ("dispatched", 0.20),
    ("in_handling", 0.35),
    ("replied", 0.12),
    ("feedback", 0.04),
    ("awaiting_supplement", 0.04),
]
CLOSED_STATES = [("archived", 0.70), ("closed", 0.22), ("refused", 0.05), ("referred_out", 0.03)]
HANDLING = {"dispatched", "in_handling", "replied", "feedback", "closed", "archived", "returned"}
UNITS = [f"u{n:02d}" for n in range(1, 41)]
UNIT_WEIGHTS = [1 / (i + 1) ** 0.9 for i in range(len(UNITS))]

CASE_COLUMNS = (
    "tenant_id",
    "serial",
    "year",
    "kind",
    "channel",
    "state",
    "title",
    "content",
    "category",
    "anonymous",
    "unit_code",
    "handler",
    "priority",
    "received_at",
    "created_at",
    "updated_at",
)
TIMER_COLUMNS = (
    "tenant_id",
    "case_id",
    "kind",
    "label",
    "period",
    "state",
    "started_at",
    "due_at",
    "warn_at",
)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def handler_of(unit: str, n: int) -> str:
    return f"{unit}-handler{n}"


class CaseMaker:
    """Rows for the ``case`` table, deterministic for a seed."""

    def __init__(self, now: datetime, seed: int = 20261128) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.serials: dict[tuple[int, int], int] = {}

    def rows(self, tenant_id: int, count: int) -> Iterator[tuple]:
        rng, now = self.rng, self.now
        places = rng.choices(PLACES, PLACE_WEIGHTS, k=count)
        topics = rng.choices(range(len(TOPICS)), TOPIC_WEIGHTS, k=count)
        for i in range(count):
            # three years, somewhat more recent cases (a growing hotline): about 2,000 a day
            # lately for a tenant of a million, 900 a day on average
            age = timedelta(days=1095 * rng.random() ** 1.15, seconds=rng.randrange(86400))
            received = now - age
            place = places[i] if rng.random() > 0.0003 else rng.choice(RARE_PLACES)
            short, category, problem, demand = TOPICS[topics[i]]
            title = f"{place}{short}" if rng.random() < 0.7 else f"反映{place}{short}问题"
            content = (
                f"{rng.choice(OPENERS)}{rng.choice(TIMES)}{place}{problem}。{rng.choice(EXTRAS)}{demand}。"
            )
            open_chance = 0.9 if age.days < 15 else (0.15 if age.days < 60 else 0.003)
            state = _pick(rng, OPEN_STATES) if rng.random() < open_chance else _pick(rng, CLOSED_STATES)
            unit = handler = None
            if state in HANDLING:
                unit = rng.choices(UNITS, UNIT_WEIGHTS)[0]
                if state != "dispatched":
                    handler = handler_of(unit, rng.randrange(5))
            year = received.year
            seq = self.serials.get((tenant_id, year), 0) + 1
            self.serials[(tenant_id, year)] = seq
            kind = _pick(rng, KINDS)
            yield (
                tenant_id,
                f"HIS-{year}-{seq:07d}",
                year,
                kind,
                _pick(rng, CHANNELS),
                state,
                title,
                content,
                category if kind != "consultation" else "",
                rng.random() < 0.15,
                unit,
                handler,
                1 if rng.random() < 0.3 else 0,
                received,
                received,
                received,
            )


async def load_cases(owner, tenants: Sequence[tuple[int, int]], now: datetime, chunk: int = 50_000) -> int:
    """COPY cases for (tenant_id, count) pairs, then a running timer per open handled case."""
    maker = CaseMaker(now)
    total = sum(count for _, count in tenants)
    # A bulk load drops the secondary indexes and builds them afterwards, as an import would.
    indexes = await owner.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'case' AND indexname <> 'case_pkey'"
    )
    for row in indexes:
        await owner.execute(f'DROP INDEX "{row["indexname"]}"')
    bar = Progress("cases", total)
    for tenant_id, count in tenants:
        rows = maker.rows(tenant_id, count)
        left = count
        while left:
            batch = [next(rows) for _ in range(min(chunk, left))]
            await owner.copy_records_to_table("case", records=batch, columns=CASE_COLUMNS)
            left -= len(batch)
            bar.update(len(batch))
    await owner.execute("SET maintenance_work_mem = '1GB'")
    for row in indexes:
        began = time.perf_counter()
        await owner.execute(row["indexdef"])
        print(f"    index {row['indexname']}: {time.perf_counter() - began:.1f} s", flush=True)
    # Timers for the open cases a unit handles: due 5 working days (about a week) after intake,
    # so those received more than a week ago are past due (state running until the sweep breaches).
    timers = await owner.execute(
        """
        INSERT INTO sla_timer (tenant_id, case_id, kind, label, period, state, started_at, due_at, warn_at)
        SELECT tenant_id, id, 'handling', '办理时限', '5 working days', 'running', received_at,
               received_at + interval '7 days', received_at + interval '5 days'
        FROM "case" WHERE state IN ('dispatched', 'in_handling') AND serial LIKE 'HIS-%'
        """
    )
    return int(timers.split()[-1])
