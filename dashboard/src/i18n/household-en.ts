/**
 * English strings for couples (issue 13 item 12): a home's residents, adding
 * one, and whose bracelet is whose. Kept apart from en.ts so parallel work on
 * other pages does not collide; en.ts spreads them in (household-zh-CN.ts).
 */
export const householdEn = {
  'household.title': 'Residents',
  'household.one': 'One resident lives here.',
  'household.add': 'Add a resident',
  'household.addHint': 'A couple: each has their own profile, thresholds and bracelet. Gas, smoke and door sensors stay the home\u2019s.',
  'household.addSubmit': 'Add resident',
  'household.added': '{name} added. Register their bracelet below, saying it is theirs.',
  'household.wornBy': 'Worn by',
  'household.assign': 'Give to',
  'household.assignSubmit': 'Save',
  'household.nobody': 'not given to anyone yet',
  'household.homeAlarm': 'Alarm of the whole home',
  'household.livesHere': 'Lives here:',
  'household.alsoHere': 'Also lives here:',
};
