"""The invented people and places of the generated Tiedong (zh-CN): citizens' and workers' names and phones (for
the reference data, the one-key-phone registry, the history and the live simulator), community words, departments,
crews and camera kinds. Only the street names are real; see the README."""
from __future__ import annotations

import numpy as np

from simulation.draws import pick, picks

# Tiedong's 13 real 街道 (Tiedong District government listing); the product models 14, so the 14th has a plain
# numbered name. The shapes they are given are generated, not the real street boundaries.
STREET_NAMES = [
    "站前街道", "解放街道", "山南街道", "园林街道", "胜利街道", "长甸街道", "东长甸街道",
    "钢城街道", "和平街道", "对炉街道", "湖南街道", "常青街道", "新兴街道", "第十四街道",
]

COMMUNITY_WORDS = (
    "光明 幸福 和平 建设 青年 东风 新华 民生 五一 七一 湖光 明达 繁荣 永乐 兴盛 春风 红旗 曙光 铁塔 烈山 "
    "对炉 东山 南华 北华 东胜 西胜 友谊 团结 新风 前进 园丁 育才 科技 文化 体育 钢花 钢苑 矿工 新兴 长青 "
    "晨光 朝阳 向阳 阳光 东湖 南湖 翠湖 碧水 青山 玉佛 千山 汇丰 昌盛 康乐 安居 和谐 鑫城 金地 银座 紫竹 "
    "丁香 海棠 桃源 梨园 杏林 枫林 松园 柳荫 荷花 牡丹 蔷薇 春晖 秋实 夏荷 冬青 新村 胜山 山峰 台町 民主 "
    "解放 和兴 振兴 盛世 华府 锦绣 惠民 利民 福民 泰和 瑞祥 吉祥 永安 长安 宁远 平安"
).split()

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海波宁凯鹏辉丹雪梅琳颖晨欣怡浩宇博然子轩雨涵佳慧立新春")

CAMERA_KINDS = ["枪机", "球机", "人脸卡口", "车辆卡口", "高空瞭望"]
CAMERA_KIND_WEIGHTS = [0.55, 0.25, 0.10, 0.07, 0.03]


def community_names(count: int, rng: np.random.Generator) -> list[str]:
    words = list(COMMUNITY_WORDS)
    if count > len(words):
        raise ValueError(f"only {len(words)} community words for {count} communities")
    return [str(w) for w in rng.permutation(words)[:count]]


def person_name(rng: np.random.Generator) -> str:
    given = "".join(picks(rng, GIVEN, int(rng.integers(1, 3))))
    return pick(rng, SURNAMES) + given


def mobile_phone(rng: np.random.Generator) -> str:
    prefix = pick(rng, ["130", "131", "132", "135", "136", "138", "139", "150", "151", "155", "158", "159", "176",
                        "177", "186", "187", "188", "189"])
    return prefix + "".join(str(d) for d in rng.integers(0, 10, 8))


# Member units of the district's social-governance committee (~35), the 12 resident in the center flagged,
# and the utilities that hold most citizen requests. (code, name, kind, resident_in_center, crews)
DEPARTMENTS: list[tuple[str, str, str, bool, int]] = [
    ("zfw", "区委政法委", "district_office", True, 0),
    ("xfj", "区信访局", "district_office", True, 0),
    ("gaj", "公安铁东分局", "police", True, 12),
    ("sfj", "区司法局", "district_office", True, 2),
    ("mzj", "区民政局", "district_office", True, 0),
    ("rsj", "区人力资源和社会保障局", "district_office", True, 0),
    ("zjj", "区住房和城乡建设局", "district_office", True, 3),
    ("cgj", "区城市管理综合行政执法局", "district_office", True, 8),
    ("scj", "区市场监督管理局", "district_office", True, 3),
    ("wjj", "区卫生健康局", "district_office", True, 0),
    ("yjj", "区应急管理局", "district_office", True, 2),
    ("fyj", "区人民法院诉讼服务中心", "court", True, 0),
    ("jyj", "区教育局", "district_office", False, 0),
    ("hbj", "鞍山市生态环境局铁东分局", "district_office", False, 2),
    ("zrj", "鞍山市自然资源局铁东分局", "district_office", False, 0),
    ("jtj", "区交通运输局", "district_office", False, 0),
    ("wlj", "区文化旅游和广播电视局", "district_office", False, 0),
    ("tyj", "区退役军人事务局", "district_office", False, 0),
    ("ybj", "区医疗保障局", "district_office", False, 0),
    ("swj", "区商务局", "district_office", False, 0),
    ("fgj", "区发展和改革局", "district_office", False, 0),
    ("czj", "区财政局", "district_office", False, 0),
    ("tjj", "区统计局", "district_office", False, 0),
    ("sjj", "区审计局", "district_office", False, 0),
    ("xcb", "区委宣传部", "district_office", False, 0),
    ("wxb", "区委网信办", "district_office", False, 0),
    ("jcy", "区人民检察院", "court", False, 0),
    ("fl", "区妇女联合会", "mass_org", False, 0),
    ("tw", "共青团铁东区委", "mass_org", False, 0),
    ("gh", "区总工会", "mass_org", False, 0),
    ("cl", "区残疾人联合会", "mass_org", False, 0),
    ("xf", "铁东区消防救援大队", "police", False, 4),
    ("jj", "鞍山市公安局交通警察支队铁东大队", "police", False, 4),
    ("hw", "区环境卫生服务中心", "district_office", False, 6),
    ("yl", "区园林绿化管理中心", "district_office", False, 3),
    ("water", "鞍山市供水集团铁东营业所", "utility", False, 8),
    ("gas", "鞍山市燃气集团铁东分公司", "utility", False, 6),
    ("power", "国网鞍山供电公司铁东供电部", "utility", False, 6),
    ("heat", "鞍山市热力集团铁东分公司", "utility", False, 10),
    ("house", "区房产服务中心（物业维修）", "utility", False, 4),
    ("grid", "区网格化服务管理中心", "district_office", False, 0),
]

CREW_KIND_BY_DEPARTMENT = {
    "gaj": "巡逻警组", "xf": "消防救援", "jj": "交警", "water": "供水抢修", "gas": "燃气抢修",
    "power": "电力抢修", "heat": "供热抢修", "house": "房屋维修", "cgj": "城管执法", "hw": "环卫作业",
    "yl": "园林养护", "scj": "市场监管", "zjj": "住建巡查", "yjj": "应急救援", "hbj": "环保执法",
    "sfj": "人民调解",
}
