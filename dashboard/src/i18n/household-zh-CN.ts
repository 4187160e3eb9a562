/** 简体中文: couples (issue 13 item 12). Same keys as household-en.ts. */
import type { householdEn } from './household-en.js';

export const householdZhCN: Record<keyof typeof householdEn, string> = {
  'household.title': '住户',
  'household.one': '此处住着一位老人。',
  'household.add': '添加住户',
  'household.addHint': '老夫妻同住：每人有自己的档案、阈值和手环；燃气、烟雾和门磁属于整户。',
  'household.addSubmit': '添加住户',
  'household.added': '已添加{name}。请在下方登记其手环，并选择佩戴人。',
  'household.wornBy': '佩戴人',
  'household.assign': '分配给',
  'household.assignSubmit': '保存',
  'household.nobody': '尚未分配',
  'household.homeAlarm': '整户报警',
  'household.livesHere': '住户：',
  'household.alsoHere': '同住：',
};
