"""Word lists the seeded world is written from.

Captions, comment texts, user names, brands, the business-discovery
accounts, the hashtag vocabulary and the demographic values of account
insights.  Plain data: which item a given object uses is chosen by the
seeded generators in world.py and handlers_insights.py, so reordering or
editing a list changes the seeded data (and the determinism baselines).
"""

HASHTAGS = [
    "coffee", "latteart", "espresso", "specialtycoffee", "coffeetime", "baristalife",
    "pourover", "coldbrew", "roastery", "cafe", "breakfast", "brunch", "foodie",
    "travel", "morning", "weekend", "coffeelover", "instacoffee", "singleorigin",
    "ethiopia", "colombia", "kenya", "guatemala", "aeropress", "v60", "chemex",
    "flatwhite", "cappuccino", "matcha", "pastry", "croissant", "sourdough",
    "smallbusiness", "shoplocal", "design", "interiordesign", "photography",
    "sunrise", "autumn", "café", "kaffee",
]
OPENERS = [
    "Morning ritual", "New on the menu:", "Behind the scenes at the roastery",
    "Sunday slow bar ☕", "Café au lait, s'il vous plaît", "Grüße aus der Rösterei",
    "今日のコーヒー", "¡Hola desde el tostador!", "Fresh roast day 🔥", "Meet our team",
    "Latte art practice", "Cupping session notes", "Rainy day, warm cup 🌧️",
    "Our Ethiopia Yirgacheffe is back", "Weekend hours update", "Crème brûlée latte 🍮",
    "Naïve question: milk first?", "Çay or coffee?", "Ristretto vs. lungo — thoughts?",
    "Golden hour at the bar ✨", "Throwback to our first espresso machine",
    "Pour-over masterclass this Saturday", "Smørrebrød & coffee pairing",
]
MIDDLES = [
    "Tasting notes: jasmine, bergamot, honey.", "Come say hi 👋", "Link in bio.",
    "Thank you for 5 years of support ❤️", "What should we brew next?",
    "Limited batch — only 40 bags.", "Roasted Tuesday, rested 7 days.",
    "Tag a friend who needs this ☕☕", "Swipe for the recipe ➡️",
    "We're hiring baristas!", "Oat, almond or whole?", "Sound on 🔊",
    "Photo by our very own Zoë 📷", "Open 7am–3pm", "Ünique blend, crafted with care.",
]
COMMENT_TEXTS = [
    "Looks amazing! 😍", "Need this right now ☕", "Best coffee in town!",
    "Where is this?", "😍😍😍", "Can't wait to visit", "Wow 🔥", "So good",
    "What beans are you using?", "Love this ❤️", "Perfection.", "Yum!",
    "Is this available for delivery?", "Great shot 📸", "Miam 🥐",
    "Lecker! 👌", "最高です", "¡Qué rico!", "Count me in", "My favourite spot",
    "What time do you open on Sundays?", "The latte art 😮", "Need the recipe please!",
]
REPLY_TEXTS = [
    "Thank you! 🙏", "We open at 7am!", "Ethiopia Guji this week ☕", "See you soon!",
    "Agreed 😄", "Yes, via our website", "❤️", "Haha true", "DM us for details",
]
FIRST = ["alex", "sam", "mia", "leo", "zoe", "noah", "ivy", "luca", "emma", "omar",
         "yuki", "lena", "finn", "nora", "kai", "ava", "jonas", "sofia", "theo", "ines"]
LAST = ["rivera", "chen", "müller", "silva", "kowalski", "tanaka", "dubois", "rossi",
        "novak", "haddad", "larsen", "okafor", "garcia", "ivanova"]
BRANDS = [
    ("bluewater", "Bluewater"), ("copperkettle", "Copper Kettle"), ("northroast", "North Roast"),
    ("saltandbean", "Salt & Bean"), ("morningfolk", "Morning Folk"), ("tidepool", "Tidepool"),
]
DISCOVERY = [
    ("alpine.outfitters", "Alpine Outfitters", 182340),
    ("cityrunners.club", "City Runners Club", 45210),
    ("greenleaf.bakery", "Greenleaf Bakery", 23877),
    ("pixelharbor.studio", "Pixel Harbor Studio", 9120),
    ("northwind.travel", "Northwind Travel", 731004),
]
COUNTRIES = ["US", "GB", "DE", "FR", "BR", "JP", "IT", "ES", "CA", "AU", "MX", "IN", "NL"]
CITIES = ["London, England", "New York, New York", "Berlin, Berlin", "Paris, Île-de-France",
          "São Paulo, São Paulo (state)", "Tokyo, Tokyo", "Milan, Lombardy", "Madrid, Madrid",
          "Toronto, Ontario", "Sydney, New South Wales", "Mexico City, Distrito Federal",
          "Amsterdam, North Holland", "München, Bavaria"]
AGES = ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
GENDERS = ["F", "M", "U"]
