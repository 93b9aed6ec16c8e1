"""Fixed tables behind the synthetic Zhejiang data (povdsl/datasets/zhejiang.py); data only.

Where they come from (docs/data.md):

- COUNTIES: the 90 county-level units of Zhejiang with their real 6-digit
  administrative codes, names and prefecture cities; coordinates are
  approximate county seats.
- ISLANDS, MOUNTAIN_CITIES: geography that slows the simulated travel times
  (ferries before the 2009 bridges, mountain roads).
- PROVINCE_GDP: Zhejiang provincial GDP from the statistical yearbooks, rounded.
- GROUPS, INDUSTRIES: industry codes and names in the style of GB/T 4754-2002;
  the share weights and typical firm sizes are invented parameters of the
  data-generating process.
- DESIGNATED: the industries counties are historically known for (named in
  the comments); the generator boosts them.

Everything drawn from these tables (county GDP, firms, jobs, travel times,
households) is simulated.
"""

# (code, name, city, latitude, longitude, kind); kind: d = urban district, c = county/county-level city.
COUNTIES = (
    (330102, "Shangcheng", "Hangzhou", 30.24, 120.17, "d"),
    (330103, "Xiacheng", "Hangzhou", 30.28, 120.18, "d"),
    (330104, "Jianggan", "Hangzhou", 30.27, 120.21, "d"),
    (330105, "Gongshu", "Hangzhou", 30.32, 120.14, "d"),
    (330106, "Xihu", "Hangzhou", 30.26, 120.10, "d"),
    (330108, "Binjiang", "Hangzhou", 30.21, 120.21, "d"),
    (330109, "Xiaoshan", "Hangzhou", 30.16, 120.26, "d"),
    (330110, "Yuhang", "Hangzhou", 30.42, 120.30, "d"),
    (330122, "Tonglu", "Hangzhou", 29.80, 119.69, "c"),
    (330127, "Chun'an", "Hangzhou", 29.61, 119.04, "c"),
    (330182, "Jiande", "Hangzhou", 29.47, 119.28, "c"),
    (330183, "Fuyang", "Hangzhou", 30.05, 119.96, "c"),
    (330185, "Lin'an", "Hangzhou", 30.23, 119.72, "c"),
    (330203, "Haishu", "Ningbo", 29.86, 121.55, "d"),
    (330204, "Jiangdong", "Ningbo", 29.87, 121.57, "d"),
    (330205, "Jiangbei", "Ningbo", 29.89, 121.55, "d"),
    (330206, "Beilun", "Ningbo", 29.90, 121.85, "d"),
    (330211, "Zhenhai", "Ningbo", 29.95, 121.72, "d"),
    (330212, "Yinzhou", "Ningbo", 29.82, 121.55, "d"),
    (330225, "Xiangshan", "Ningbo", 29.48, 121.87, "c"),
    (330226, "Ninghai", "Ningbo", 29.29, 121.43, "c"),
    (330281, "Yuyao", "Ningbo", 30.04, 121.15, "c"),
    (330282, "Cixi", "Ningbo", 30.17, 121.24, "c"),
    (330283, "Fenghua", "Ningbo", 29.66, 121.41, "c"),
    (330302, "Lucheng", "Wenzhou", 28.01, 120.65, "d"),
    (330303, "Longwan", "Wenzhou", 27.93, 120.77, "d"),
    (330304, "Ouhai", "Wenzhou", 27.97, 120.64, "d"),
    (330322, "Dongtou", "Wenzhou", 27.84, 121.16, "c"),
    (330324, "Yongjia", "Wenzhou", 28.15, 120.69, "c"),
    (330326, "Pingyang", "Wenzhou", 27.66, 120.56, "c"),
    (330327, "Cangnan", "Wenzhou", 27.52, 120.43, "c"),
    (330328, "Wencheng", "Wenzhou", 27.79, 120.09, "c"),
    (330329, "Taishun", "Wenzhou", 27.56, 119.72, "c"),
    (330381, "Rui'an", "Wenzhou", 27.78, 120.65, "c"),
    (330382, "Yueqing", "Wenzhou", 28.12, 120.96, "c"),
    (330402, "Nanhu", "Jiaxing", 30.76, 120.78, "d"),
    (330411, "Xiuzhou", "Jiaxing", 30.76, 120.71, "d"),
    (330421, "Jiashan", "Jiaxing", 30.83, 120.92, "c"),
    (330424, "Haiyan", "Jiaxing", 30.53, 120.94, "c"),
    (330481, "Haining", "Jiaxing", 30.53, 120.68, "c"),
    (330482, "Pinghu", "Jiaxing", 30.68, 121.02, "c"),
    (330483, "Tongxiang", "Jiaxing", 30.63, 120.56, "c"),
    (330502, "Wuxing", "Huzhou", 30.87, 120.10, "d"),
    (330503, "Nanxun", "Huzhou", 30.88, 120.42, "d"),
    (330521, "Deqing", "Huzhou", 30.54, 119.97, "c"),
    (330522, "Changxing", "Huzhou", 31.01, 119.91, "c"),
    (330523, "Anji", "Huzhou", 30.64, 119.68, "c"),
    (330602, "Yuecheng", "Shaoxing", 30.00, 120.58, "d"),
    (330621, "Shaoxing County", "Shaoxing", 30.08, 120.49, "c"),
    (330624, "Xinchang", "Shaoxing", 29.50, 120.90, "c"),
    (330681, "Zhuji", "Shaoxing", 29.71, 120.24, "c"),
    (330682, "Shangyu", "Shaoxing", 30.03, 120.87, "c"),
    (330683, "Shengzhou", "Shaoxing", 29.59, 120.82, "c"),
    (330702, "Wucheng", "Jinhua", 29.08, 119.65, "d"),
    (330703, "Jindong", "Jinhua", 29.09, 119.69, "d"),
    (330723, "Wuyi", "Jinhua", 28.89, 119.82, "c"),
    (330726, "Pujiang", "Jinhua", 29.45, 119.89, "c"),
    (330727, "Pan'an", "Jinhua", 29.05, 120.45, "c"),
    (330781, "Lanxi", "Jinhua", 29.21, 119.46, "c"),
    (330782, "Yiwu", "Jinhua", 29.31, 120.07, "c"),
    (330783, "Dongyang", "Jinhua", 29.29, 120.24, "c"),
    (330784, "Yongkang", "Jinhua", 28.89, 120.04, "c"),
    (330802, "Kecheng", "Quzhou", 28.94, 118.87, "d"),
    (330803, "Qujiang", "Quzhou", 28.98, 118.96, "d"),
    (330822, "Changshan", "Quzhou", 28.90, 118.51, "c"),
    (330824, "Kaihua", "Quzhou", 29.14, 118.41, "c"),
    (330825, "Longyou", "Quzhou", 29.03, 119.17, "c"),
    (330881, "Jiangshan", "Quzhou", 28.74, 118.63, "c"),
    (330902, "Dinghai", "Zhoushan", 30.02, 122.11, "d"),
    (330903, "Putuo", "Zhoushan", 29.95, 122.30, "d"),
    (330921, "Daishan", "Zhoushan", 30.24, 122.20, "c"),
    (330922, "Shengsi", "Zhoushan", 30.73, 122.45, "c"),
    (331002, "Jiaojiang", "Taizhou", 28.68, 121.43, "d"),
    (331003, "Huangyan", "Taizhou", 28.65, 121.26, "d"),
    (331004, "Luqiao", "Taizhou", 28.58, 121.38, "d"),
    (331021, "Yuhuan", "Taizhou", 28.14, 121.23, "c"),
    (331022, "Sanmen", "Taizhou", 29.10, 121.38, "c"),
    (331023, "Tiantai", "Taizhou", 29.14, 121.03, "c"),
    (331024, "Xianju", "Taizhou", 28.85, 120.73, "c"),
    (331081, "Wenling", "Taizhou", 28.37, 121.37, "c"),
    (331082, "Linhai", "Taizhou", 28.85, 121.14, "c"),
    (331102, "Liandu", "Lishui", 28.45, 119.92, "d"),
    (331121, "Qingtian", "Lishui", 28.14, 120.29, "c"),
    (331122, "Jinyun", "Lishui", 28.66, 120.09, "c"),
    (331123, "Suichang", "Lishui", 28.59, 119.27, "c"),
    (331124, "Songyang", "Lishui", 28.45, 119.48, "c"),
    (331125, "Yunhe", "Lishui", 28.11, 119.57, "c"),
    (331126, "Qingyuan", "Lishui", 27.62, 119.06, "c"),
    (331127, "Jingning", "Lishui", 27.97, 119.64, "c"),
    (331181, "Longquan", "Lishui", 28.07, 119.14, "c"),
)
ISLANDS = frozenset({330902, 330903, 330921, 330922, 330322})  # ferry-linked before the 2009 bridges
MOUNTAIN_CITIES = frozenset({"Lishui", "Quzhou"})

# Zhejiang provincial GDP, 100 million yuan (statistical yearbooks, rounded).
PROVINCE_GDP = {1994: 2689.0, 1998: 5052.0, 2004: 11649.0, 2008: 21463.0}

# 3-digit groups: code -> (name, sector) with sector m = manufacturing, s = services/construction.
GROUPS = {
    "135": ("Slaughtering and meat processing", "m"),
    "171": ("Spinning, weaving and finishing of cotton and chemical fibre textiles", "m"),
    "172": ("Spinning, weaving and finishing of wool textiles", "m"),
    "174": ("Spinning, weaving and finishing of silk textiles", "m"),
    "175": ("Manufacture of textile products", "m"),
    "176": ("Manufacture of knitted and crocheted fabrics and articles", "m"),
    "181": ("Manufacture of textile garments", "m"),
    "192": ("Manufacture of leather products", "m"),
    "211": ("Manufacture of wooden furniture", "m"),
    "212": ("Manufacture of bamboo and rattan furniture", "m"),
    "222": ("Manufacture of paper", "m"),
    "223": ("Manufacture of paper products", "m"),
    "244": ("Manufacture of toys", "m"),
    "261": ("Manufacture of basic chemical raw materials", "m"),
    "306": ("Manufacture of plastic packaging boxes and containers", "m"),
    "315": ("Manufacture of ceramic products", "m"),
    "346": ("Metal surface treatment and heat treatment", "m"),
    "348": ("Manufacture of stainless steel and similar daily-use metal products", "m"),
    "354": ("Manufacture of pumps, valves and compressors", "m"),
    "355": ("Manufacture of bearings, gears and transmission parts", "m"),
    "358": ("Manufacture of parts for general-purpose machinery and mechanical repair", "m"),
    "364": ("Manufacture of special equipment for printing, pharmaceuticals and daily chemicals", "m"),
    "372": ("Manufacture of automobiles", "m"),
    "374": ("Manufacture of motorcycles", "m"),
    "392": ("Manufacture of power transmission, distribution and control equipment", "m"),
    "393": ("Manufacture of wires and cables", "m"),
    "395": ("Manufacture of household electric appliances", "m"),
    "397": ("Manufacture of lighting equipment", "m"),
    "406": ("Manufacture of electronic components", "m"),
    "421": ("Manufacture of arts and crafts", "m"),
    "471": ("Construction of buildings", "s"),
    "522": ("Road freight transport", "s"),
    "633": ("Wholesale of textiles, clothing and daily necessities", "s"),
    "651": ("Retail of general merchandise", "s"),
    "671": ("Restaurants", "s"),
    "741": ("Corporate management services", "s"),
}

# 4-digit industries: code -> (name, base share weight, typical firm size).
INDUSTRIES = {
    "1351": ("Slaughtering of livestock", 1.0, 25),
    "1711": ("Cotton and chemical fibre spinning", 2.0, 45),
    "1712": ("Cotton and chemical fibre weaving", 2.5, 35),
    "1713": ("Dyeing and finishing of cotton and chemical fibre textiles", 1.5, 40),
    "1722": ("Wool spinning", 0.8, 40),
    "1723": ("Wool weaving", 0.8, 35),
    "1741": ("Silk reeling", 0.6, 30),
    "1742": ("Spinning and weaving of silk textiles", 1.2, 30),
    "1743": ("Printing and dyeing of silk", 0.6, 30),
    "1751": ("Manufacture of cotton and chemical fibre textile products", 1.0, 20),
    "1757": ("Manufacture of non-woven fabrics", 0.5, 20),
    "1761": ("Manufacture of cotton and chemical fibre knitwear (hosiery)", 1.2, 20),
    "1762": ("Manufacture of wool knitwear", 1.0, 25),
    "1810": ("Manufacture of textile garments", 4.0, 40),
    "1921": ("Manufacture of leather shoes", 2.0, 45),
    "1923": ("Manufacture of leather bags and cases", 0.8, 25),
    "2110": ("Manufacture of wooden furniture", 1.0, 25),
    "2120": ("Manufacture of bamboo and rattan furniture", 0.5, 15),
    "2221": ("Manufacture of machine-made paper and paperboard", 1.0, 40),
    "2223": ("Manufacture of processed paper", 0.5, 25),
    "2231": ("Manufacture of paper and cardboard containers", 1.0, 20),
    "2239": ("Manufacture of other paper products", 0.5, 15),
    "2440": ("Manufacture of toys", 0.6, 30),
    "2612": ("Inorganic base manufacturing", 0.3, 40),
    "2613": ("Inorganic salt manufacturing", 0.4, 35),
    "2614": ("Organic chemical raw material manufacturing", 0.8, 45),
    "3060": ("Manufacture of plastic packaging boxes and containers", 0.7, 15),
    "3152": ("Manufacture of daily-use ceramics (celadon)", 0.4, 20),
    "3460": ("Metal surface treatment and heat treatment", 0.6, 12),
    "3481": ("Manufacture of stainless steel daily-use products", 0.8, 20),
    "3489": ("Manufacture of other daily-use metal products (hardware)", 1.2, 15),
    "3541": ("Manufacture of pumps and vacuum equipment", 0.8, 25),
    "3543": ("Manufacture of valves and cocks", 1.0, 25),
    "3551": ("Manufacture of bearings", 0.7, 30),
    "3552": ("Manufacture of gears and transmission parts", 0.6, 25),
    "3581": ("Manufacture of metal seals", 0.3, 15),
    "3582": ("Manufacture of fasteners and springs", 1.0, 15),
    "3583": ("Machinery parts processing and equipment repair", 1.5, 10),
    "3589": ("Manufacture of other general-purpose parts", 0.8, 15),
    "3641": ("Manufacture of pulp and paper-making machinery", 0.3, 25),
    "3642": ("Manufacture of printing machinery", 0.3, 25),
    "3725": ("Manufacture of automobile parts and accessories", 1.5, 40),
    "3742": ("Manufacture of motorcycle parts and accessories", 0.8, 35),
    "3922": ("Manufacture of capacitors and auxiliary equipment", 0.3, 30),
    "3923": ("Manufacture of switchgear and control equipment", 1.0, 30),
    "3931": ("Manufacture of wires and cables", 0.7, 40),
    "3951": ("Manufacture of household refrigeration appliances", 0.6, 80),
    "3954": ("Manufacture of household kitchen appliances", 0.7, 40),
    "3972": ("Manufacture of lighting fixtures", 0.6, 25),
    "4061": ("Manufacture of electronic components", 1.5, 60),
    "4211": ("Manufacture of carvings (stone, wood, root)", 0.3, 10),
    "4710": ("Construction of buildings", 12.0, 60),
    "5220": ("Road freight transport", 3.0, 8),
    "6331": ("Wholesale of textiles, knitwear and raw materials", 2.0, 6),
    "6332": ("Wholesale of clothing", 1.5, 5),
    "6339": ("Wholesale of other household goods", 1.5, 5),
    "6511": ("Department store retail", 6.0, 12),
    "6710": ("Restaurant services", 6.0, 8),
    "7411": ("Corporate production management services", 2.0, 10),
    "7412": ("Investment and asset management", 1.0, 8),
}

# Historic clusters: county -> 4-digit industries it is known for.
DESIGNATED = {
    330109: ("1712", "1713", "1810", "3725"),  # Xiaoshan: chemical fibre, garments, auto parts
    330621: ("1711", "1712", "1713", "1751"),  # Shaoxing County (Keqiao): textile city
    330602: ("1713", "1712"),
    330502: ("1741", "1742"),  # Huzhou silk
    330503: ("1742", "1743"),
    330481: ("1762", "1923"),  # Haining: knitwear, leather
    330483: ("1762", "1742"),  # Tongxiang (Puyuan sweaters)
    330681: ("1761", "3481"),  # Zhuji (Datang hosiery)
    330683: ("1810",),  # Shengzhou neckties
    330212: ("1810",),  # Yinzhou garments
    330283: ("1810",),
    330482: ("1810",),
    330304: ("1921", "3582"),  # Wenzhou shoes, fasteners
    330302: ("1921",),
    330381: ("3582", "3742", "3583"),  # Rui'an auto and motorcycle parts
    330382: ("3923", "3582", "3583"),  # Yueqing low-voltage electrics
    330424: ("3582",),  # Haiyan fasteners
    331003: ("3583", "3060"),  # Huangyan moulds and plastics
    331004: ("3583", "3742"),
    331081: ("3541", "3583", "3460"),  # Wenling pumps
    331021: ("3543",),  # Yuhuan valves
    330784: ("3489", "3460", "3481"),  # Yongkang hardware
    330183: ("2221", "2231", "2223", "3641"),  # Fuyang paper
    330122: ("2231",),
    330782: ("6331", "6332", "6339", "2440"),  # Yiwu small-commodities market
    330282: ("3951", "3954"),  # Cixi appliances
    330281: ("3060", "3972"),  # Yuyao plastics, lighting
    330523: ("2120",),  # Anji bamboo
    330803: ("2613", "2612"),  # Quzhou chemicals
    330182: ("2613",),
    330682: ("2614",),  # Shangyu chemicals
    331181: ("3152",),  # Longquan celadon
    331121: ("4211",),  # Qingtian stone carving
    330783: ("4211",),  # Dongyang wood carving
    330102: ("7411", "7412", "6511"),  # central Hangzhou
    330103: ("7411", "7412", "6511"),
    330106: ("7411", "6710"),
    330108: ("4061",),
    330203: ("7411", "6511"),
    331082: ("3725", "3543"),
}
