/**
 * Owners and sites: market stalls, shops, weighbridges, filling stations and taxi fleets. Every name
 * is assembled from word lists (a surname and a trade, "王记蔬菜"; a lucky word and a shop type,
 * "鑫源副食店"), never a person's name, and addresses are a street and a made-up number. Any match
 * with a real business is chance. The brands 中国石油 and 中国石化 are named because the register of
 * a Chinese city is unthinkable without them; their stations here are invented.
 */
import { type District, GENERIC_STREETS } from './mianyang.js';
import type { SeededRandom } from './random.js';

/** One place where instruments stand, with what a register row says about it. */
export interface Slot {
  owner: string;
  site: string;
  category: string;
}

/** What one owner puts in the register: its slots, one per instrument position. */
export interface SiteBatch {
  slots: Slot[];
  /**
   * Whether positions open one by one (a market's stalls change tenants, a fleet adds cars) rather
   * than all together when the site opens (a station is built with its dispensers).
   */
  openedOneByOne: boolean;
}

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
  '罗',
  '高',
  '郑',
  '梁',
  '谢',
  '宋',
  '唐',
  '许',
  '邓',
  '冯',
  '曾',
  '彭',
  '肖',
  '蒋',
  '蒲',
  '敬',
  '母',
  '文',
  '付',
  '苟',
  '杜',
  '袁',
  '任',
  '雷',
  '向',
  '廖',
] as const;

const STALL_GOODS = [
  '蔬菜',
  '水果',
  '鲜肉',
  '牛羊肉',
  '禽蛋',
  '水产',
  '粮油',
  '干杂',
  '调料',
  '豆制品',
  '熟食',
  '腌腊',
  '冻品',
  '茶叶',
  '菌菇',
  '米粉',
] as const;

const GOOD_WORDS = [
  '惠民',
  '兴旺',
  '鑫源',
  '福满',
  '百姓',
  '和顺',
  '金穗',
  '丰裕',
  '益民',
  '民生',
  '德丰',
  '恒丰',
  '嘉禾',
  '满园',
  '广源',
  '富民',
  '瑞丰',
  '顺达',
  '宏发',
  '永兴',
  '祥和',
  '天福',
  '利民',
  '众诚',
  '锦程',
  '新源',
] as const;

const SHOP_TYPES = [
  ['超市', 5],
  ['便利店', 3],
  ['副食店', 4],
  ['水果店', 3],
  ['粮油店', 2],
  ['生鲜店', 2],
  ['鲜肉店', 2],
  ['茶叶店', 1],
  ['药房', 1],
  ['金店', 0.5],
] as const;

const MARKET_WORDS = ['中心', '东街', '西街', '南门', '北门', '新街', '滨江', '老街', '东门', '城北', '城南'];

const INDUSTRY_TYPES = [
  '物流有限公司',
  '建材有限公司',
  '再生资源回收站',
  '粮油收购站',
  '砂石有限公司',
  '饲料有限公司',
  '农产品批发有限公司',
] as const;

const INDUSTRY_PLACES = ['工业园区', '物流园', '货运站', '农产品批发市场'] as const;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function street(random: SeededRandom, district: District): string {
  return random.chance(0.45) ? random.pick(district.streets) : random.pick(GENERIC_STREETS);
}

/** A town prefix outside the city proper, where the district name alone does not place a site. */
function town(random: SeededRandom, district: District): string {
  if (district.urban) return random.chance(0.8) ? '' : random.pick(district.towns.slice(1));
  return random.chance(0.6) ? district.towns[0]! : random.pick(district.towns);
}

function address(random: SeededRandom, district: District): string {
  return `${town(random, district)}${street(random, district)}${random.int(1, 320)}号`;
}

/** A market: every stall its own owner, one or two scales each, nearly all 电子计价秤. */
export function marketBatch(random: SeededRandom, district: District): SiteBatch {
  // In the city a market is named after its street (临园路 → 临园农贸市场, 正街 → 正街农贸市场),
  // in a county after its town and quarter (太平城北农贸市场).
  const market = district.urban
    ? `${street(random, district).replace(/^(.{2,})(路|大道)$/, '$1')}农贸市场`
    : `${random.pick(district.towns).replace(/(镇|街道)$/, '')}${random.pick(MARKET_WORDS)}农贸市场`;
  const stalls = district.urban ? random.int(30, 120) : random.int(10, 60);
  const slots: Slot[] = [];
  for (let stall = 1; stall <= stalls; stall++) {
    const owner = random.chance(0.75)
      ? `${random.pick(SURNAMES)}记${random.pick(STALL_GOODS)}`
      : `${random.pick(GOOD_WORDS)}${random.pick(STALL_GOODS)}行`;
    const zone = String.fromCharCode(65 + Math.floor((stall - 1) / 40));
    const site = `${market}${zone}区${pad(((stall - 1) % 40) + 1, 3)}号摊位`;
    const scales = random.chance(0.2) ? 2 : 1;
    for (let i = 0; i < scales; i++) {
      const category = random.weighted([
        ['电子计价秤', 85],
        ['电子台秤', 10],
        ['弹簧度盘秤', 5],
      ] as const);
      slots.push({ owner, site, category });
    }
  }
  return { slots, openedOneByOne: true };
}

/** A shop: one to six scales; pharmacies and jewellers weigh on 电子天平. */
export function shopBatch(random: SeededRandom, district: District): SiteBatch {
  const type = random.weighted(SHOP_TYPES);
  const owner = random.chance(0.3)
    ? `${random.pick(SURNAMES)}记${type}`
    : `${district.short}${random.pick(GOOD_WORDS)}${type}`;
  const site = address(random, district);
  const count = type === '超市' ? random.int(2, 6) : random.int(1, 2);
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const category =
      type === '药房' || type === '金店'
        ? '电子天平'
        : random.weighted([
            ['电子计价秤', 62],
            ['电子台秤', 20],
            ['电子计重秤', 18],
          ] as const);
    slots.push({ owner, site, category });
  }
  return { slots, openedOneByOne: false };
}

/** A weighbridge site: a 地磅 or two, platform scales, sometimes a crane scale. */
export function industrialBatch(random: SeededRandom, district: District): SiteBatch {
  const owner = `${district.short}${random.pick(GOOD_WORDS)}${random.pick(INDUSTRY_TYPES)}`;
  const site = `${town(random, district)}${random.pick(INDUSTRY_PLACES)}${random.int(1, 80)}号`;
  const slots: Slot[] = [{ owner, site, category: '地磅' }];
  const more = random.int(0, 3);
  for (let i = 0; i < more; i++) {
    slots.push({
      owner,
      site,
      category: random.weighted([
        ['地磅', 3],
        ['电子台秤', 5],
        ['电子吊秤', 2],
      ] as const),
    });
  }
  return { slots, openedOneByOne: false };
}

const BRANDS = [
  ['中国石油', 50],
  ['中国石化', 30],
  ['private', 20],
] as const;

/** A filling station: two to twelve dispensers (加油机) under one owner. */
export function stationBatch(random: SeededRandom, district: District): SiteBatch {
  const brand = random.weighted(BRANDS);
  const road = street(random, district);
  const siteTown = town(random, district);
  const station = `${siteTown.replace(/(镇|街道)$/, '')}${road}加油站`;
  const owner =
    brand === 'private' ? `${district.short}${random.pick(GOOD_WORDS)}石油有限公司` : `${brand}${station}`;
  const site = `${siteTown}${road}${random.int(1, 500)}号`;
  const count = district.urban ? random.int(4, 12) : random.int(2, 8);
  return {
    slots: Array.from({ length: count }, () => ({ owner, site, category: '加油机' })),
    openedOneByOne: false,
  };
}

/** A taxi company: one meter per car, the car named by its fleet number. */
export function fleetBatch(random: SeededRandom, district: District): SiteBatch {
  const word = random.pick(GOOD_WORDS);
  const city = district.urban ? '绵阳市' : district.name;
  const owner = `${city}${word}出租汽车有限公司`;
  const cars = district.urban ? random.int(80, 300) : random.int(20, 120);
  const first = random.int(1, 50) * 100;
  const slots: Slot[] = [];
  for (let car = 0; car < cars; car++) {
    slots.push({ owner, site: `${word}车队${pad(first + car, 4)}号车`, category: '出租汽车计价器' });
  }
  return { slots, openedOneByOne: true };
}
