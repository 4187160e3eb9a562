/**
 * English strings of the location card and home coordinates (issue 13 item 4),
 * kept apart from en.ts so parallel work on other pages does not collide;
 * en.ts spreads them in (location-zh-CN.ts has the same keys).
 */
export const locationEn = {
  'location.title': 'Location',
  'location.latestFix': 'Latest position',
  'location.none': 'No position reported by the bracelet yet.',
  'location.inRoom': 'Indoors: {room}',
  'location.accuracy': '(± {n} m)',
  'location.fromHome': '{distance} from home',
  'location.noHomeGeo': 'Distance from home unknown: the home has no coordinates.',
  'location.metres': '{n} m',
  'location.km': '{n} km',
  'location.openMapApp': 'Open in map app',
  'location.openMapWeb': 'Open in OpenStreetMap',
  'location.age': 'Fix age',
  'location.live': '(live)',
  'timeline.location': 'Moved',
  'room.bedroom': 'bedroom',
  'room.bathroom': 'bathroom',
  'room.kitchen': 'kitchen',
  'room.living_room': 'living room',
  'room.hallway': 'hallway',
  'room.balcony': 'balcony',
  'geo.title': 'Home coordinates',
  'geo.hint': 'Used to show how far a bracelet\u2019s GPS position is from home. WGS 84 degrees, e.g. 30.657, 104.066.',
  'geo.lat': 'Latitude',
  'geo.lon': 'Longitude',
  'geo.save': 'Save coordinates',
  'geo.clear': 'Clear',
  'geo.saved': 'Coordinates saved.',
} as const satisfies Record<string, string>;
