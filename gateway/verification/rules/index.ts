/**
 * Every rule set metrogate knows, by id, each bound to the evaluator of its instrument kind.
 * Adding an edition is adding a data module and a line here.
 */
import { dispenserEntry } from '../dispenser/index.js';
import type { RuleSetEntry } from '../entry.js';
import { scaleEntry } from '../scale/index.js';
import { taximeterEntry } from '../taximeter/index.js';
import type { RuleSetId } from '../types.js';
import { jjg443_2006 } from './jjg443-2006.js';
import { jjg443_2015 } from './jjg443-2015.js';
import { jjg443_2023 } from './jjg443-2023.js';
import { jjg517_2016 } from './jjg517-2016.js';
import { jjg539_2016 } from './jjg539-2016.js';
import { oimlR21_2007 } from './oiml-r21-2007.js';
import { oimlR76_2006 } from './oiml-r76-1-2006.js';
import { oimlR117_2019 } from './oiml-r117-1-2019.js';

export const RULE_SETS: Record<RuleSetId, RuleSetEntry> = {
  'OIML-R76-1:2006': scaleEntry(oimlR76_2006),
  'JJG539-2016': scaleEntry(jjg539_2016),
  'OIML-R117-1:2019': dispenserEntry(oimlR117_2019),
  'JJG443-2023': dispenserEntry(jjg443_2023),
  'JJG443-2015': dispenserEntry(jjg443_2015),
  'JJG443-2006': dispenserEntry(jjg443_2006),
  'OIML-R21:2007': taximeterEntry(oimlR21_2007),
  'JJG517-2016': taximeterEntry(jjg517_2016),
};
