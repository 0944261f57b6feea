/**
 * The tools and arguments the adapter tests offer and expect: two functions,
 * called together in one turn, with arguments that test escaping (quotes,
 * braces, non-ASCII, an emoji) on their way through every wire format.
 */
export const TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function' as const,
    function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } },
  },
]

export const WEATHER_ARGS = { city: 'Zürich "Altstadt" {centre}', units: 'celsius', days: [1, 2, 3] }
export const TIME_ARGS = { timezone: 'Europe/Zurich', format: { hour12: false, emoji: '⏰' } }
