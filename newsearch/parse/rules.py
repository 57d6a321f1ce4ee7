"""Every selector, meta name, pattern and threshold the HTML extractor uses.

Kept as data in one place so tuning extraction is a change here, not in code.
Names are compared lower-cased. Order matters in the tuples: earlier entries are
trusted more.
"""
from __future__ import annotations

import re

# ---------------------------------------------------------------- structured data
# JSON-LD @type values that describe the article itself (others, such as
# WebSite or Organization, describe the publisher or the page around it).
ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "blogposting", "socialmediaposting", "liveblogposting",
    "scholarlyarticle", "techarticle", "report", "review", "webpage", "itempage", "aboutpage",
    "medicalwebpage", "creativework", "posting", "discussionforumposting", "recipe", "howto",
    "videoobject", "event", "product", "qapage", "collectionpage",
})
# Types that describe a whole page rather than the story: used only when no article type is present.
PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage", "aboutpage", "medicalwebpage", "qapage"})
PERSON_TYPES = frozenset({"person"})
# JSON-LD types of an organisation credited as an article's author ("Contributors to ...").
ORGANISATION_TYPES = frozenset({"organization", "corporation", "newsmediaorganization", "ngo",
                                "governmentorganization", "educationalorganization"})

# <meta> names/properties per field, most trusted first.
META_TITLE = ("dc:title", "dcterm:title", "og:title", "twitter:title", "dc.title", "dcterms.title", "citation_title", "title",
              "parsely-title", "sailthru.title", "headline")
META_DESCRIPTION = ("dc:description", "dcterm:description", "og:description", "description", "twitter:description", "dc.description",
                    "dcterms.description", "sailthru.description")
META_AUTHOR = ("dc:creator", "dcterm:creator", "dc.creator", "author", "article:author", "og:article:author", "byl",
               "parsely-author", "sailthru.author", "dcterms.creator", "citation_author", "dc.creator.author", "twitter:creator",
               "cxenseparse:author", "article.author", "authors", "creator", "book:author")
# Label/value <meta> pairs (twitter:label1 "Written by" / twitter:data1 "Jane Doe") naming the author.
META_LABEL_PAIRS = 4
META_AUTHOR_LABEL = re.compile(r"^\s*(?:written\s+by|posted\s+by|by|author|autor(?:in)?|auteur|autore|"
                               r"geschrieben\s+von|verfasst\s+von|von|écrit\s+par|escrito\s+por|scritto\s+da)\s*:?\s*$",
                               re.I)
# Label/value <meta> pairs naming the section ("Filed under" / "Politics").
META_SECTION_LABEL = re.compile(r"^\s*(?:filed\s+under|posted\s+in|category|categories|section|kategorie|rubrik|"
                                r"ressort|catégorie|rubrique|categoría|sección|categoria)\s*:?\s*$", re.I)
META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "article:published", "og:published_time",
    "published_time", "article.published", "article_date_original", "article.created",
    "parsely-pub-date", "sailthru.date", "pubdate", "publishdate", "publish-date", "publish_date",
    "date_published", "datepublished", "publication_date", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "dc.date", "dcterms.date", "citation_publication_date",
    "citation_date", "cxenseparse:recs:publishtime", "original-publish-date", "og:pubdate",
    "date", "created", "release_date", "displaydate", "dc.date.published", "bt:pubdate",
    "last-modified-date-of-publish",
)
# A publication date in the JSON state a script carries.
# Keys may be bare (JavaScript objects); values a string or epoch seconds/milliseconds.
SCRIPT_DATE = re.compile(r"(?<![\w$])[\"']?(?:datePublished|dateCreated|published_at|publishedAt|publishDate|"
                         r"publishedDate|publicationDate|publish_date|publish_time|publishTime|published_time|pubDate|"
                         r"date_published|date_gmt|firstPublished\w{0,6}|first_published_at|releaseDate|created_at|"
                         r"createdAt)[\"']?\s*:\s*(?:[\"']([^\"']{8,40})[\"']|(\d{10}(?:\d{3})?)(?![\d.]))")
# data-* attributes holding a publication date or timestamp (<span data-published="...">).
DATA_DATE_ATTRIBUTE = re.compile(r"^data-(?:date|datetime|time|timestamp|published|publish-?date|pub-?date|"
                                 r"published-?(?:at|date|time)|created|post-?date|article-?date)$", re.I)
# The author in page state that scripts carry, read only when nothing else names one.
SCRIPT_AUTHOR = re.compile(r"[\"'](?:author|authors|authorName|author_name|article_author|byline)[\"']\s*:\s*\[?\s*"
                           r"[\"']([^\"'<>{}]{3,80})[\"']")
# Other <meta> names that carry a publication date, and names that never do.
META_DATE_KEY = re.compile(r"publish|creat|released?|date", re.I)
META_NOT_PUBLISHED_KEY = re.compile(r"modif|updat|expir|revis|birth|valid|event|start|end|copyright", re.I)
META_MODIFIED = ("article:modified_time", "og:updated_time", "og:article:modified_time", "dateModified",
                 "last-modified", "dc.date.modified", "dcterms.modified", "article.updated",
                 "modified", "lastmod", "revised")
META_SECTION = ("article:section", "og:article:section", "parsely-section", "sailthru.section", "section",
                "article.section", "cxenseparse:recs:category", "category", "dc.subject",
                "article-section", "news_section")
META_TAGS = ("article:tag", "og:article:tag", "keywords", "news_keywords", "parsely-tags", "sailthru.tags",
             "dc.subject")
META_SITE = ("og:site_name", "application-name")
# The publisher as <meta> names it: an author credit equal to it names the publisher, not a writer.
META_PUBLISHER = ("dc.publisher", "dcterms.publisher", "publisher", "citation_publisher")
META_IMAGE = ("og:image", "twitter:image", "og:image:url", "og:image:secure_url")
META_URL = ("og:url", "twitter:url")
META_LANGUAGE = ("og:locale", "content-language", "language", "dc.language", "dcterms.language")

# ---------------------------------------------------------------- microdata / DOM
ITEMPROP_AUTHOR = ("author", "creator")
ITEMPROP_PUBLISHED = ("datepublished", "datecreated", "uploaddate")
ITEMPROP_MODIFIED = ("datemodified",)
ITEMPROP_SECTION = ("articlesection",)

# class/id fragments of elements that hold a byline.
BYLINE_HINTS = re.compile(
    r"(^|[-_ ])(byline|by-line|author|autor|auteur|autore|writer|reporter|creator|contributor|"
    r"posted-by|postedby|article-by|meta-author|entry-author|post-author|td-post-author|fullname|full-name|"
    r"user-?name|profile-name|nickname)s?([-_ ]|$)",
    re.I,
)
BYLINE_EXCLUDE = re.compile(
    r"avatar|image|photo|img|bio|description|about|comment|related|social|share|follow|date|time|"
    r"more-from|other|list",
    re.I,
)
BYLINE_MAX_CHARS = 120
BYLINE_MAX_CANDIDATES = 4
# The copyright line of a personal site names its author: "© 2020 Jane Doe", "(c) Jane Doe •".
COPYRIGHT_HINTS = re.compile(r"copyright|footer|legal|credits", re.I)
COPYRIGHT_LINE = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:\(c\)\s*)?(?:\d{4}(?:\s*[-–]\s*(?:\d{4})?)?\s*,?\s*)?(?:by\s+)?"
    r"([A-ZÀ-Ý][\w.'-]+(?:\s+[A-ZÀ-Ý][\w.'-]+){1,2})(?=\s*(?:[.,|•·]|\d{4}|all rights|alle rechte|$))",
)
COPYRIGHT_MAX_CHARS = 300
# A text signed at its end: one of its last paragraphs is only an emphasised full name.
SIGNATURE_LAST_PARAGRAPHS = 3
SIGNATURE_MAX_CHARS = 40
SIGNATURE_TAGS = ("strong", "b", "em", "i")
# The box about the author below a story, and the elements that hold the author's name in it.
AUTHOR_BOX_HINTS = re.compile(r"author-?bio|about-?(?:the-?)?author|author-?box|author-?info|autorbox|autoren-?box|"
                              r"author-?card|author-?profile", re.I)
AUTHOR_BOX_NAME_TAGS = ("h2", "h3", "h4", "h5", "strong", "b")
COPYRIGHT_PARAGRAPH = re.compile(r"^(?:©|\(c\)|copyright)\s*(?:\(c\)\s*)?\d{4}\s*,?\s*\w[^©]{2,50}$", re.I)
BYLINE_MAX_NAMES = 6
# A login of a first and a last name ("robert.stitz"); the last part is too long for a domain's TLD.
LOGIN_NAME = re.compile(r"^([a-zà-ÿ]{2,})[._]([a-zà-ÿ]{4,})$")
# A short line of text that is a byline by its wording alone.
# "Ein Gastbeitrag von", "Blog post by": the kind of piece named before its author.
_PIECE_BY = (r"(?:(?:ein|eine|a|an|un|une|uno|una)\s+)?(?:blog\s*-?\s*|gast\s*-?\s*|guest\s+)?(?:beitrag|kommentar|"
             r"interview|artikel|bericht|essay|analyse|reportage|rezension|kolumne|post|article|story|column|"
             r"commentary|review|analysis|chronique|tribune|entretien)\s+(?:von|by|par|de|di|por)")
BYLINE_LINE = re.compile(r"^\s*(?:[-–—]+\s*)?(?:by|von|par|por|door|written by|text(?:e)?|autor(?:in)?|author|"
                         r"auteur|autore|geschrieben von|verfasst von|erstellt von|" + _PIECE_BY + r")\s*:?\s+\S",
                         re.I)
BYLINE_LINE_MAX_CHARS = 80
# Where the first credit of a byline line ends: "Jane Doe (guest post), speaker at ...".
BYLINE_CREDIT_END = re.compile(r"\s*[,(|;]\s*|\s[-–—]\s")
_BYLINE_WORDS = (r"(?:by|von|par|por|door|written|text|autor(?:in)?|author|auteur|autore|geschrieben|verfasst|"
                 r"erstellt\s+von|" + _PIECE_BY + r")\b")
BYLINE_START = re.compile(r"^\s*(?:[-–—]+\s*)?" + _BYLINE_WORDS, re.I)
# How every BYLINE_START text begins (lower case, once spaces and dashes are stripped): a cheap
# test that spares the pattern the texts of most elements.
BYLINE_FIRST_LETTERS = frozenset("abcdegikprstuvw")
# A label alone in its element ("Von:", "Text & Fotos:"): the name is printed after the element.
BYLINE_LABEL_ONLY = re.compile(r"^\s*(?:[-–—]+\s*)?" + _BYLINE_WORDS
                               + r"(?:\s*(?:&|und|and|/|\+)\s*(?:fotos?|bilder?|photos?|bild))?[\s:]*$", re.I)
BYLINE_TAGS = frozenset({"byline", "author", "address"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "title"})
# "Von der Ringform zur Kastenform": a lower-case word that is not a name particle means a sentence.
NOT_A_NAME_LINE = re.compile(
    r"\s(?!(?:von|van|de|der|den|da|di|del|du|la|le|und|and|et|y|e|zu|bin|al)\b)[a-zäöüßàâçéèêëîïôûùÿñ]\w*", re.U)
# Interface words that byline containers also hold; never part of a name.
BYLINE_NOISE = re.compile(
    r"\b(?:vorlesen|beiträge|artikel|alle|jobs|hire|mehr|weitere|kommentare?|publiziert|veröffentlicht|"
    r"favor|teilen|drucken|anzeigen|profil|posts|articles|all|more|read|listen|print|inhalte|sponsored|"
    r"gesponsert|straße|strasse|username|welcome|willkommen|password|passwort|login|anmelden|einloggen)\b|"
    r"^(?:auteur|autor|author|autorin)$",
    re.I,
)
# Dates, times and weekdays anywhere in a byline.
BYLINE_DATES = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|montag|dienstag|mittwoch|donnerstag|freitag|samstag|"
    r"sonntag)\b,?|\b\d{1,2}\.\s?(?:\d{1,2}\.\s?\d{2,4}|\w+\s+\d{4})|\b\d{4}-\d\d-\d\d\S*|"
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b,?|\b\d{1,2}:\d\d(?:\s*(?:uhr|[ap]\.?m\.?))?|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\.?,?\s+\d{4}",
    re.I,
)
# A label printed before the byline proper ("Post author By ...", "Veröffentlicht von ...").
BYLINE_LABEL = re.compile(
    r"^(?:(?:post\s+)?author\s*:?\s*(?=by\b)|posted\s+(?:on\s+)?(?=by\b)|artikel\s+von\s*:?\s*|(?:publiziert|veröffentlicht)\s+am\s+|(?:veröffentlicht|publiziert|eingestellt|geschrieben|verfasst|"
    r"erstellt|gepostet|posted|written|published|publié|publicado|pubblicato)\s+(?:von|by|par|por|da)\s+|"
    r"(?:interview|text|texte|autor(?:in)?|author|auteur|autore|fotos?|redaktion)"
    r"(?:\s*(?:&|und|and|/|\+)\s*(?:fotos?|bilder?|photos?|bild))?\s*:\s*|vom\s+|"
    + _PIECE_BY + r"\s+)",
    re.I,
)
# Where the byline ends and a date, a time or a role begins.
BYLINE_TAIL = re.compile(
    r"\s(?:am|on|le|el|il|um|at|,)?\s*(?:\d{1,2}[./]\s?\d{1,2}[./]|\d{1,2}\.?\s+(?:"
    + "|".join(("jan", "feb", "mär", "mar", "apr", "mai", "may", "jun", "jul", "aug", "sep", "okt", "oct", "nov",
                "dez", "dec"))
    + r")|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s+\d|\d{4}-\d\d|\d{1,2}:\d\d|"
    r"stand:|updated|aktualisiert|tags:|schlagworte:|kategorien?:|categories:|filed under|"
    r"\d+\s+(?:min|words|kommentare|comments))",
    re.I,
)
# class/id fragments of breadcrumbs and category links (sections).
BREADCRUMB_HINTS = re.compile(r"breadcrumb|crumbs|brotkrumen|fil-d-ariane|path-nav", re.I)
CATEGORY_HINTS = re.compile(
    r"(^|[-_ ])(cat-links|categories|category|post-categories|entry-categor\w*|article-section|"
    r"section-name|rubrik|rubric|ressort|rubrique|post-category|"
    r"meta-category|cat|cate)([-_ ]|$)",
    re.I,
)
SECTION_MAX_CHARS = 40
# The category slug in the class of a whole post ("post type-post category-harbour-news").
CATEGORY_CLASS = re.compile(r"(?:^|\s)category-([a-z\u00e0-\u024f][\w-]{1,38})(?:\s|$)", re.I)
# Labels that say where a story is shown rather than what it is about.
GENERIC_SECTIONS = frozenset({"main blog", "blog", "à la une", "a la une", "aktuell", "aktuelles", "uncategorized",
                              "allgemein", "home", "startseite", "featured", "top stories", "homepage",
                              "non classé", "sin categoría", "senza categoria", "general"})
# Which breadcrumb link names the section: -1 is the deepest level.
BREADCRUMB_LEVEL = -1
URL_SECTION = re.compile(r"^[a-z][a-z-]{2,24}$")
GENERIC_URL_FOLDERS = frozenset({"article", "artikel", "story", "stories", "post", "posts", "p", "blog",
                                 "de", "en", "fr", "es", "it", "www", "index", "content", "page", "pages", "detail",
                                 "details", "node", "cms", "home", "html", "view", "a", "s", "amp", "id", "magazin", "service",
                                 "item", "items", "entry", "entries", "read", "archive", "archives", "doi",
                                 "wiki", "forum", "discussion", "tipp", "produkt", "product", "products", "themen"})
# Words that a breadcrumb starts with and that are never a section.
HOME_WORDS = frozenset({"home", "startseite", "start", "accueil", "inicio", "homepage", "news", "index",
                        "home page", "hauptseite", "portada", "página inicial", "pagina iniziale"})

# ---------------------------------------------------------------- title
# Separators between a headline and a site name in <title>.
TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|«|/|:|~)\s+")
# Titles that name a page type or a site section, never a story.
GENERIC_TITLES = frozenset({"home", "homepage", "startseite", "blog", "news", "index", "accueil", "inicio",
                            "untitled", "aktuelles", "willkommen", "welcome"})
# Elements inside a headline that hold its kicker ("Nach Corona-Lockerungen"), not the headline.
KICKER_HINTS = re.compile(r"kicker|dachzeile|topline|overline|eyebrow|roofline|spitzmarke|supertitle|"
                          r"headline-intro|title-intro|pre-?title|subline|label", re.I)
# Share of the <h1> words that the metadata title must contain for the <h1> to be preferred.
TITLE_H1_AGREEMENT = 0.6
# A JSON-LD headline sharing less than this share of its words with <title> (which agrees with
# the <h1>) is a description of the subject, not the headline.
TITLE_HEADLINE_MIN_OVERLAP = 0.34

# ---------------------------------------------------------------- dates
# Dates in URLs: /2021/07/06/, /2021-07-06, _20210706_
URL_DATE = (
    re.compile(r"(?<!\d)((?:19|20)\d{2})[/_-](0?[1-9]|1[0-2])[/_-](0[1-9]|[12]\d|3[01]|[1-9](?=/))(?!\d)"),
    re.compile(r"[/_-]((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)"),
    # "/2021/jul/06/": a month's name between the year and the day.
    re.compile(r"/((?:19|20)\d{2})/([a-z]{3,9})/(0?[1-9]|[12]\d|3[01])(?=/|$)", re.I),
)

# Month names in the languages the archives are mostly in, mapped to numbers.
MONTHS = {
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                   "august", "september", "october", "november", "december"), 1)},
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                   "nov", "dec"), 1)},
    "sept": 9,
    **{m: i for i, m in enumerate(("januar", "februar", "märz", "april", "mai", "juni", "juli", "august",
                                   "september", "oktober", "november", "dezember"), 1)},
    "jänner": 1, "maerz": 3, "mrz": 3, "okt": 10, "dez": 12,
    **{m: i for i, m in enumerate(("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                                   "septembre", "octobre", "novembre", "décembre"), 1)},
    "fevrier": 2, "aout": 8, "decembre": 12, "janv": 1, "févr": 2, "avr": 4, "juil": 7,
    **{m: i for i, m in enumerate(("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                                   "septiembre", "octubre", "noviembre", "diciembre"), 1)},
    "setiembre": 9,
    **{m: i for i, m in enumerate(("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
                                   "agosto", "settembre", "ottobre", "novembre", "dicembre"), 1)},
    **{m: i for i, m in enumerate(("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho",
                                   "agosto", "setembro", "outubro", "novembro", "dezembro"), 1)},
    **{m: i for i, m in enumerate(("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                                   "сентября", "октября", "ноября", "декабря"), 1)},
    **{m: i for i, m in enumerate(("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca",
                                   "sierpnia", "września", "października", "listopada", "grudnia"), 1)},
    **{m: i for i, m in enumerate(("januari", "februari", "maart", "april", "mei", "juni", "juli",
                                   "augustus", "september", "oktober", "november", "december"), 1)},
}
_MONTH_WORDS = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
# Dates in visible text, each with the order of its (year, month, day) groups.
TEXT_DATES = (
    (re.compile(r"(?<!\d)((?:1[6-9]|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)"), "ymd"),
    (re.compile(r"(?<![\d.])(0?[1-9]|[12]\d|3[01])\.\s?(0?[1-9]|1[0-2])\.\s?((?:1[6-9]|20)\d{2})(?!\d)"), "dmy"),
    (re.compile(r"(?<!\w)(0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er|\.|º)?\s+(?:de\s+)?(" + _MONTH_WORDS
                + r")\.?,?\s+(?:de\s+)?((?:1[6-9]|20)\d{2})(?!\d)", re.I), "dMy"),
    (re.compile(r"(?<!\w)(" + _MONTH_WORDS + r")\.?\s+(0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?\s+((?:1[6-9]|20)\d{2})(?!\d)",
                re.I), "Mdy"),
    (re.compile(r"(?<!\d)((?:1[6-9]|20)\d{2})/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])(?!\d)"), "ymd"),
    (re.compile(r"((?:1[6-9]|20)\d{2})\s?年\s?(0?[1-9]|1[0-2])\s?月\s?(0?[1-9]|[12]\d|3[01])\s?日"), "ymd"),
    (re.compile(r"(?<![\d.])(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.(\d{2})(?![\d.])"), "dmy"),
    (re.compile(r"(?<![\d/])(0?[1-9]|[12]\d|3[01])/(0?[1-9]|1[0-2])/((?:1[6-9]|20)\d{2})(?!\d)"), "dmy"),
    # "2021.07.06", "2021. 7. 6.": year first with dots (Korean, Hungarian, Chinese sites).
    (re.compile(r"(?<![\d.])((?:1[6-9]|20)\d{2})\.\s?(0?[1-9]|1[0-2])\.\s?(0?[1-9]|[12]\d|3[01])(?!\d)"), "ymd"),
    # "06-07-2021": day (or, in US style, month) first with dashes.
    (re.compile(r"(?<![\d-])(0?[1-9]|[12]\d|3[01])-(0?[1-9]|1[0-2])-((?:1[6-9]|20)\d{2})(?![\d-])"), "dmy"),
    # "26 | 01 | 2022": day, month and year set apart by bars.
    (re.compile(r"(?<![\d|])(0?[1-9]|[12]\d|3[01]) ?\| ?(0?[1-9]|1[0-2]) ?\| ?((?:1[6-9]|20)\d{2})(?![\d|])"), "dmy"),
)
# Words announcing the publication date (or a later update) next to a date in the text; whole
# words only ("possible", "Datensatz" and "update" announce nothing).
PUBLISHED_WORDS = re.compile(
    r"(?<!\w)(?:published|posted|veröffentlicht|publiziert|erschienen|publiée?|publicad[oa]|pubblicat[oa]|"
    r"gepubliceerd|erstellt|created|dated?|datum|fecha|data|le)(?!\w)", re.I)
# A label right before a date that names it the publication date ("Datum:", "Published on").
PUBLISHED_LABEL = re.compile(
    r"(?<![\w-])(?:published|posted|veröffentlicht|publiziert|erschienen|publié|publicado|pubblicato|"
    r"gepubliceerd|datum|date|fecha|data)(?:\s+(?:on|am|le|el|il|op))?\s*:?\s*(?=\d|[^\W\d_]+\.?\s+\d)", re.I)
# Characters after such a label searched for its date.
PUBLISHED_LABEL_CHARS = 40
UPDATED_WORDS = re.compile(r"updated|modified|aktualisiert|geändert|mis à jour|actualizado|aggiornato|"
                           r"last edited|stand:", re.I)
# class/id fragments of elements whose text is usually the publication date.
DATE_HINTS = re.compile(r"date|datum|time|publish|publication|posted|erschienen|dateline|meta|byline|fecha|(^|[-_ ])data([-_ ]|$)|"
                        r"submitted|info", re.I)
DATE_ELEMENT_MAX_CHARS = 200
# class/id fragments of dated elements that belong to readers' comments, not to the story.
DATE_EXCLUDE = re.compile(r"comment|kommentar|reply|antwort|respond|commentaire|comentario", re.I)
# A structured UTC timestamp this many hours from midnight of a printed day yields to that day:
# the window of UTC times that fall on that calendar day from the Pacific's UTC+14 (Asia and
# Australia included) to the Americas' UTC-8. (Reaching UTC-10 loses a page on the readability set.)
SAME_DAY_WINDOW_HOURS = (-14, 32)
# The day both a <time> element and the printed text show replaces a structured date at most
# this many days away (a draft's date); farther apart, the <time> belongs to something else.
VISIBLE_DATE_MAX_DAYS = 14
# A structured date this many days after the full date in the URL is a re-publication.
URL_DATE_REPUBLISHED_DAYS = 30
# The first date of the text wins when it is printed this close (in characters) to the headline,
# and the headline is not the very top of the page (where a site's logo sits in an <h1>).
HEADLINE_DATE_DISTANCE = 250
HEADLINE_MIN_OFFSET = 50
HEADLINE_WINDOW = 4000
# Characters of visible text (from the top) searched for a date when nothing else has one.
TEXT_DATE_WINDOW = 20000
# The page's own revision stamp written in its text ("Stand: 09.10.2017", "Last updated: ...",
# "Letzte Änderung: 14.01.2022", "Updated: $Date: 2016/11/18 $"): a label, then a date at most
# STAMP_GAP_CHARS on. Where a page has no publication date but its running text, this stamp
# says when the page was written better than the first date its prose happens to mention.
STAMP_LABEL = re.compile(
    r"(?<![\w-])(?:(?:last\s+)?(?:updated|modified|changed|edited|revised)(?:\s+(?:on|at))?|last\s+update|"
    r"stand\s*:|(?:zuletzt\s+)?(?:aktualisiert|geändert|bearbeitet)(?:\s+am)?|letzte\s+(?:änderung|aktualisierung)|"
    r"mis\s+à\s+jour(?:\s+le)?|dernière\s+mise\s+à\s+jour|actualizado(?:\s+el)?|última\s+actualización|"
    r"aggiornato(?:\s+il)?|ultimo\s+aggiornamento|bijgewerkt(?:\s+op)?|laatst\s+gewijzigd)\s*:?", re.I)
STAMP_GAP_CHARS = 12
# Characters at the end of the visible text searched for such a stamp too (footers carry it).
STAMP_TAIL_CHARS = 3000

# A date found only in running text is history, not the page's date, when it lies more
# than this many years from every other date the page gives (URL, modification, copyright).
PROSE_DATE_MAX_YEARS = 20
# Words that make a date in running text a life's date ("born April 30, 1930"), searched
# this many characters before it.
LIFE_EVENT_WORDS = re.compile(
    r"(?<!\w)(?:born|birth|died|death|geboren|gestorben|geb\.|gest\.|née?|morte?|décédée?|nacid[oa]|"
    r"fallecid[oa]|muert[oa]|urodzon[ya]|zmarła?)(?!\w)|[†*]\s*$", re.I)
LIFE_EVENT_CHARS = 25
# "© 2003-2020", "Copyright (c) 2019": the years of a copyright notice.
COPYRIGHT_YEARS = re.compile(r"(?:©|\(c\)|copyright)\W{0,6}((?:1[6-9]|20)\d{2})(?:\s*[-–]\s*((?:1[6-9]|20)\d{2}))?",
                             re.I)
# The families of date rules html.py applies, each one a switch the extraction benchmark
# turns off in turn (`benchmarks/extraction.py --families`) to measure it on every gold set:
#   local-day       keep the UTC offset a date is written with: its calendar day is the page's
#   plausible       drop the zero timestamp and dates outside the floor and the fetch day
#   prose-evidence  drop a running-text date decades from the page's other dates
#   visible-dom     the date printed beside the headline, under a label or in a date element
#   url-date        the URL's day beats a structured date a month or more later (a re-dating)
#   update-stamps   a page that prints only its revision day is dated by it
#   same-day        a timestamp hours from the printed (or URL) day is that day in another zone
#   metadata-vote   publication metadata that disagree: the one whose day the page prints wins
#   late-fallbacks  other date-like <meta>, the description, script state, image folders, dateModified
#   page-stamps     a page dated only by its running text is dated by the revision stamp it prints
#   printed-first   for same-day, the day printed beside the story outranks the URL's day
DATE_RULES = frozenset({"local-day", "plausible", "prose-evidence", "visible-dom", "url-date", "update-stamps",
                        "same-day", "metadata-vote", "late-fallbacks", "page-stamps", "printed-first"})
# Structured publication dates read per page (JSON-LD, <meta>, microdata), in that order.
PUBLISHED_CANDIDATES = 12

# ---------------------------------------------------------------- body
# Elements never part of the article text.
DROP_TAGS = ("script", "style", "iframe", "figcaption", "svg", "canvas", "template", "button", "select",
             "option", "textarea", "input", "nav", "footer", "aside", "menu", "dialog",
             "object", "embed", "video", "audio", "map", "link", "meta", "head", "label")
# A dropped tag (nav, aside, hidden...) holding an <article> or this many paragraphs is kept:
# unclosed tags have put the story inside it.
STORY_MIN_PARAGRAPHS = 5
MEDIA_TAGS = frozenset({"audio", "video", "object", "embed", "iframe", "canvas", "svg", "map"})
# Dropped only when nearly empty: some sites wrap the whole page in a <form> or a <noscript>.
DROP_IF_SMALL_TAGS = ("form", "noscript")
DROP_IF_SMALL_CHARS = 300
# class/id fragments of boilerplate containers.
BOILERPLATE = re.compile(
    r"(^|[-_ ])(nav|navbar|navigation|menu|footer|header-bar|masthead|sidebar|side-bar|widget|"
    r"share|sharing|social|sociable|shariff|addthis|related|recommend\w*|more-stories|read-more|readmore|"
    r"newsletter|subscribe|subscription|signup|sign-up|promo|advert\w*|ads?|ad-\w+|banner|sponsor\w*|"
    r"cookie\w*|consent|gdpr|popup|modal|overlay|comments?|comment-\w+|disqus|respond|reply|"
    r"breadcrumbs?|pagination|pager|tags?|tag-list|taglist|keywords|author-bio|about-author|"
    r"copyright|legal|print-only|toolbar|skip|visually-hidden|sr-only|jump|teaser-list|"
    r"outbrain|taboola|trending|popular|most-read|mostread|meistgelesen|also-read|see-also|"
    r"partner|rating|rate|feedback|login|signin|dropdown|offcanvas|off-canvas|"
    r"caption-credit|credits?|byline|post-meta|entry-meta|article-meta|dateline|"
    r"infobox|toc|sharebar|share-bar|follow|print-only|rss|utility|entryfooter|postfooter)([-_ ]|$)"
    # ...and fragments that mark boilerplate wherever they occur in a class name.
    r"|related|share(?!d)|social|comment(?!ary)|newsletter|sidebar|cookie|breadcrumb|rating|widget|"
    r"advert|subscri|disqus|outbrain|taboola|caption|meta(?!l)|author|autor|kommentar|disclosure|"
    r"affiliate|notice|reading-?time|legend|breaker|subnav|snav|loading|likes|paywall-hint|sabox|"
    r"about-?the-?author|author-?box|jp-relatedposts|yarpp|addtoany|a2a_",
    re.I,
)
# Fragments that, despite a boilerplate hint beside them, mark the article itself.
CONTENT_HINTS = re.compile(
    r"article|content|entry|post|story|text|body|main|blog|news|page|column|prose|rich-text|"
    r"richtext|paragraph",
    re.I,
)
POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story|prose|"
    r"artikel|inhalt|beitrag|texte|contenu|nota|noticia|cuerpo|testo|corpo",
    re.I,
)
NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|"
    r"masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|"
    r"shopping|tags|tool|widget|teaser|newsletter|social|navigation|breadcrumb|cookie",
    re.I,
)
# Tags emitted as separate paragraphs of the body.
BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt",
                        "figcaption", "caption", "tr", "div", "section", "article", "ul", "ol", "table",
                        "header", "main", "address", "center", "dl", "td", "th", "br", "hr", "details",
                        "summary", "figure", "tbody", "thead"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
MIN_PARAGRAPH_CHARS = 25
# Candidates holding less text than this have their score scaled down in proportion.
CANDIDATE_FULL_CHARS = 600
# A boilerplate class on an element holding more than this share of the page's text is ignored.
BOILERPLATE_MAX_SHARE = 0.5
# A first pass that finds less text than this is retried without skipping boilerplate classes.
MIN_BODY_CHARS = 200
# The best block is widened to its enclosing <article> when it holds this share of its text.
ARTICLE_EXPAND_SHARE = 0.7
ARTICLE_EXPAND_MAX_LINKS = 0.3
# The lead paragraph ("standfirst") printed before the story's container, looked for in the
# preceding siblings of the container and of its nearest ancestors.
LEAD_HINTS = re.compile(r"lead|intro|teaser|abstract|standfirst|summary|excerpt|dek|deck|hero-text|"
                        r"subtitle|sub-title|description|chapeau|vorspann|sapo", re.I)
LEAD_LEVELS = 4
LEAD_SIBLINGS = 4
LEAD_MIN_CHARS = 60
LEAD_MAX_CHARS = 1000
# Sibling of the best candidate kept when its score reaches this share of the best score.
SIBLING_SHARE = 0.2
# A block whose linked text exceeds this share of its text is navigation.
MAX_LINK_DENSITY = 0.5
MAX_LINK_DENSITY_LONG = 0.8
# Short lines that are interface text, not article text.
BOILERPLATE_TEXT = re.compile(
    r"^\(?(share|tweet|print|email|e-mail|read more|weiterlesen|mehr lesen|lire la suite|leer más|"
    r"advertisement|anzeige|werbung|publicité|related|related articles|related posts|follow us|subscribe|"
    r"sign up|log in|login|comments?|kommentare|reply|antworten|facebook|twitter|whatsapp|"
    r"linkedin|pinterest|teilen|drucken|back to top|nach oben|zurück|previous|next|skip to content|"
    r"copyright|©|you may also like|more from|see also|mehr zum thema|auch interessant|"
    r"ähnliche beiträge|das könnte sie auch interessieren|lesen sie auch|weitere artikel|"
    r"titelbild|beitragsbild|bild:|foto:|fotos:|photo:|image:|credit:|quelle:|quellen|quellenangaben|"
    r"bisher keine kommentare|kommentar verfassen|schreibe einen kommentar|leave a comment|"
    r"leave a reply|wird geladen|loading|sie sind aktuell nicht eingeloggt|möchten sie|"
    r"war der artikel|was this article|alle angaben ohne gewähr|zum vergrößern|click to enlarge|"
    r"rss|impressum|datenschutz\w*|privacy|kontakt|contact|kategorien|categories|"
    r"weitere (?:beiträge|artikel|informationen|infos|themen|links)|zum weiterlesen|noch mehr|"
    r"empfehlungen aus|mehr (?:zu|zum|über|infos|informationen)|siehe auch|more on|read also|lire aussi|"
    r"leggi anche|lee también|czytaj (?:też|także)|alles über|telefon:|tel\.:|e-mail:|fax:|"
    r"kommentieren|favorisieren|więcej|drukuj|udostępnij|imprimer|partager|compartir|imprimir|"
    r"condividi|stampa|gefällt mir|like this|teile diesen|share this|neueste (?:artikel|beiträge)|"
    r"latest (?:articles|posts|news)|release date|"
    r"lesezeit|reading time|\d+ min(?:ute)?s? read|\d+ minut|(?:\.\.\.\s*|…\s*)?weiter zu|über den autor|"
    r"über die autorin|about the author|à propos de l'auteur|sobre el autor|sull'autore).{0,40}$",
    re.I,
)
# A line this short, of this few words and without a full stop, is a label, not a paragraph.
LABEL_MAX_CHARS = 25
LABEL_MAX_WORDS = 1
# Calls to action closing an article ("If you enjoyed reading this post, ...").
CALL_TO_ACTION = re.compile(
    r"^(?:if you (?:enjoyed|liked|found)|do you want to (?:be informed|stay)|want to (?:read|stay|know) more|"
    r"support (?:us|our)|subscribe to|sign up (?:for|to)|follow us|zapraszamy|bitte registrieren|"
    r"unterstützen sie|jetzt (?:abonnieren|anmelden|registrieren)|melden sie sich|abonnieren sie|"
    r"hat ihnen (?:dieser|der) (?:artikel|beitrag)|gefällt ihnen|vous avez aimé|abonnez-vous|"
    r"suscríbete|iscriviti|to (?:view|read) the full|to continue reading|become a (?:member|subscriber)|"
    r"hazte (?:miembro|socio)|tú también puedes|jetzt mitglied|werden sie mitglied|kennt ihr schon|"
    r"anzeige\b|puede escribirnos|escríbenos a|schreiben sie uns|write to us|"
    r"(?:dieser|diese|dieses) (?:text|beitrag|artikel|inhalt|werk) (?:wurde|ist|steht) (?:\w+ )?unter (?:der|einer) "
    r"(?:lizenz|creative)|this (?:work|article|text|post) is licensed under|"
    r"(?:letzte aktualisierung am \S+\s*/\s*)?bei den (?:verlinkungen|links) handelt es sich um)",
    re.I,
)
CALL_TO_ACTION_MAX_CHARS = 300
# A PHP warning a broken page prints into its text ("Warning: ... in /www/... on line 407").
SERVER_ERROR = re.compile(r"^(?:warning|notice|deprecated|fatal error|parse error|strict standards):\s.*\bon line \d+",
                          re.I)
# A "read more" link left at the end of a paragraph ("... [czytaj więcej]").
TRAILING_MORE = re.compile(r"\s*\[(?:czytaj więcej|więcej|read more|more|mehr|weiterlesen|lire la suite|leer más|"
                           r"continua a leggere|leia mais)\]$", re.I)
# A caption or line ending in a picture credit ("... © AFP / JEFF PACHOUD").
CREDIT_END = re.compile(r"(?:©|\(c\)|foto:|photo:|bild:|credit:|getty images|/\s*(?:afp|dpa|reuters|ap|imago|"
                        r"getty|epa|picture alliance))[^.!?]{0,60}$", re.I)
CREDIT_END_MAX_CHARS = 250
# Picture credits printed as lines of their own.
CREDIT_LINE = re.compile(r"getty\s*images|shutterstock|imago\b|/\s*dpa\b|\bafp\s*/|/\s*afp\b|\breuters\s*/|"
                         r"/\s*reuters\b|\bap\s*photo|wenn\.com|bildquelle|bildnachweis|photo credit|"
                         r"foto\s*:|photo\s*:|bild\s*:|image\s*:|©", re.I)
# A short line that is only a date, a time and their words ("Dienstag, 4. Juni 2019", "05:28 Uhr").
DATE_LINE_MAX_CHARS = 60
DATE_LINE = re.compile(
    r"^(?:(?:published|posted|updated|veröffentlicht|veröffentlichung|aktualisiert|stand|am|on|le|el|il|um|at|uhr|"
    r"publication|publicación|pubblicazione|datum|date|fecha|data|"
    r"mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|"
    r"vendredi|samedi|dimanche|am|pm|a\.m\.|p\.m\.|cet|cest|utc|gmt|est|edt|pst|pdt|"
    + _MONTH_WORDS + r"|\d{1,4}(?:st|nd|rd|th|er)?)[\s.,:/|–—-]*)+$",
    re.I,
)

# ---------------------------------------------------------------- article or not (parse/pages.py)
# Pages of a crawl are indexed only when they look like stories; measured on news-dev.warc.gz.
# JSON-LD types that make a page an article outright.
ARTICLE_PAGE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "blogposting", "socialmediaposting", "liveblogposting",
    "report", "discussionforumposting", "techarticle", "scholarlyarticle",
})
META_HEADLINE = ("og:title", "twitter:title", "headline")  # a headline the page gives besides <title>
ARTICLE_OG_TYPES = frozenset({"article", "news", "blog"})  # with a publication date
# More of the visible words than this in links: a front, listing or navigation page.
ARTICLE_MAX_LINK_SHARE = 0.75
# A dated headline needs this much running text; a page without one of the two, more.
ARTICLE_DATED_MIN_WORDS = 80
ARTICLE_OG_MIN_WORDS = 150  # og:type article and a headline, but no date
ARTICLE_LONG_MIN_WORDS = 250
CJK_CHARS_PER_WORD = 2
# URLs of listings: tag, category and author pages, numbered pages, search results.
LISTING_URL = re.compile(r"/(?:tags?|category|categories|author|authors|search|page)/|/page/\d+|"
                         r"[/_-]list(?:[_-]\d+)+(?:\.\w+)?$|[?&](?:tag|cat|s|page|paged)=", re.I)
NOT_ARTICLE_HOME = "pages that are not articles (a site's home page)"
NOT_ARTICLE_LINKS = "pages that are not articles (mostly links: a front or listing page)"
NOT_ARTICLE_LISTING = "pages that are not articles (a listing address: tag, category, author, page N)"
NOT_ARTICLE_THIN = "pages that are not articles (no dated headline with running text)"
