/**
 * The nine county-level divisions of Mianyang (绵阳市) and the ILLUSTRATIVE figures the generator
 * draws from. The names and administrative codes are real; the sizes, the shares of each kind and
 * above all the `diligence` of each district are invented to make a plausible demo register. They
 * are not statistics and say nothing about how any real district actually performs.
 */

export type InstrumentKind = 'scale' | 'dispenser' | 'taximeter';

export const INSTRUMENT_KINDS: readonly InstrumentKind[] = ['scale', 'dispenser', 'taximeter'];

/** contracts.md §5: the period an empty `period_months` stands for. */
export const DEFAULT_PERIOD_MONTHS: Readonly<Record<InstrumentKind, number>> = {
  scale: 12,
  dispenser: 6,
  taximeter: 12,
};

/**
 * Share of each kind in the whole register (illustrative). Trade scales dominate every market
 * supervision ledger; a city of this size has some hundreds of filling stations with several
 * dispensers each and a few thousand taxis.
 */
export const KIND_SHARES: Readonly<Record<InstrumentKind, number>> = {
  scale: 0.9,
  dispenser: 0.06,
  taximeter: 0.04,
};

export interface District {
  /** As it appears in the `region` column. */
  name: string;
  /** Administrative division code (GB/T 2260), used as the prefix of instrument ids. */
  code: string;
  /** Without 区/市/县, for company names. */
  short: string;
  /** The two districts of the city proper: bigger markets, the taxi companies of 绵阳市. */
  urban: boolean;
  /** Towns and sub-districts where sites lie (the seat first). */
  towns: readonly string[];
  /** Streets typical of the district, besides the generic ones every town has. */
  streets: readonly string[];
  /** Relative number of instruments of each kind (illustrative). */
  weights: Readonly<Record<InstrumentKind, number>>;
  /**
   * How promptly owners have their instruments verified, 0 (worst) to 1 (best). Invented: three
   * districts are made systematically worse so that the demo shows regions below the 0.90 target.
   */
  diligence: number;
}

export const DISTRICTS: readonly District[] = [
  {
    name: '涪城区',
    code: '510703',
    short: '涪城',
    urban: true,
    towns: ['城厢街道', '青义镇', '吴家镇', '石塘街道'],
    streets: ['临园路', '剑南路', '长虹大道', '涪城路', '安昌路', '花园路', '御营路'],
    weights: { scale: 130, dispenser: 14, taximeter: 40 },
    diligence: 0.97,
  },
  {
    name: '游仙区',
    code: '510704',
    short: '游仙',
    urban: true,
    towns: ['游仙街道', '魏城镇', '沉抗镇', '小枧镇'],
    streets: ['游仙路', '东津路', '仙人路', '沈家坝路', '芙蓉路'],
    weights: { scale: 70, dispenser: 12, taximeter: 18 },
    diligence: 0.95,
  },
  {
    name: '安州区',
    code: '510705',
    short: '安州',
    urban: false,
    towns: ['花荄镇', '桑枣镇', '秀水镇', '界牌镇'],
    streets: ['益昌路', '安昌大道', '文胜路'],
    weights: { scale: 36, dispenser: 9, taximeter: 6 },
    diligence: 0.92,
  },
  {
    name: '江油市',
    code: '510781',
    short: '江油',
    urban: false,
    towns: ['中坝街道', '太平镇', '含增镇', '武都镇', '青莲镇'],
    streets: ['太白路', '诗仙路', '李白大道', '江东路'],
    weights: { scale: 75, dispenser: 16, taximeter: 14 },
    diligence: 0.95,
  },
  {
    name: '三台县',
    code: '510722',
    short: '三台',
    urban: false,
    towns: ['潼川镇', '芦溪镇', '西平镇', '塔山镇', '新德镇'],
    streets: ['北坝路', '潼川路', '梓州大道'],
    weights: { scale: 72, dispenser: 15, taximeter: 9 },
    diligence: 0.9,
  },
  {
    name: '盐亭县',
    code: '510723',
    short: '盐亭',
    urban: false,
    towns: ['云溪镇', '富驿镇', '金孔镇', '高渠镇'],
    streets: ['嫘祖大道', '凤凰路', '云溪路'],
    weights: { scale: 30, dispenser: 9, taximeter: 4 },
    diligence: 0.2,
  },
  {
    name: '梓潼县',
    code: '510725',
    short: '梓潼',
    urban: false,
    towns: ['文昌镇', '许州镇', '长卿镇', '卧龙镇'],
    streets: ['文昌路', '七曲路', '潼江路'],
    weights: { scale: 24, dispenser: 8, taximeter: 4 },
    diligence: 0.92,
  },
  {
    name: '北川羌族自治县',
    code: '510726',
    short: '北川',
    urban: false,
    towns: ['永昌镇', '曲山镇', '擂鼓镇', '通口镇'],
    streets: ['禹龙街', '新川路', '羌乡路'],
    weights: { scale: 17, dispenser: 9, taximeter: 3 },
    diligence: 0.15,
  },
  {
    name: '平武县',
    code: '510727',
    short: '平武',
    urban: false,
    towns: ['龙安镇', '南坝镇', '响岩镇', '江油关镇'],
    streets: ['龙安路', '报恩路', '涪江路'],
    weights: { scale: 12, dispenser: 8, taximeter: 3 },
    diligence: 0.05,
  },
];

/** The districts made systematically worse (lowest diligence); the README names them too. */
export const WEAK_DISTRICTS: readonly string[] = DISTRICTS.filter((district) => district.diligence < 0.5).map(
  (district) => district.name,
);

/** Streets every town has, mixed with each district's own. */
export const GENERIC_STREETS: readonly string[] = [
  '人民路',
  '建设路',
  '解放路',
  '和平路',
  '新华街',
  '滨江路',
  '文化路',
  '胜利路',
  '东街',
  '西街',
  '南街',
  '北街',
  '正街',
  '新街',
  '老街',
  '中心街',
  '工业路',
  '迎宾大道',
  '长青路',
  '学府路',
  '体育路',
  '青年路',
  '兴业路',
];
