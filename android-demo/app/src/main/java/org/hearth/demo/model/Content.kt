package org.hearth.demo.model

/**
 * One of the app's own content items. Hearth ranks these for the user
 * (`Engine.rankItems`); reading one is recorded as a content view
 * (`Event.ContentView`), which is how the interest profile learns.
 *
 * @property id the app's id, unique in the feed.
 * @property topics IAB Content Taxonomy 3.x topic ids (e.g. `"533"` =
 *   Sports/Soccer); the app's editors or its CMS tag content with them.
 * @property ageHours how old the item is when the feed is built (freshness).
 */
data class Article(
    val id: String,
    val title: String,
    val summary: String,
    val section: String,
    val topics: List<String>,
    val ageHours: Int,
)

/** The demo app's content: a small news-and-lifestyle feed tagged with real taxonomy ids. */
object SampleContent {
    /** The feed, in the editors' order (what the user sees without personalisation). */
    val articles: List<Article> = listOf(
        Article(
            "phones-under-500", "The best phone cameras under €500",
            "Six mid-range phones, one low-light test: the results surprised us.",
            "Tech", listOf("635"), ageHours = 3,
        ),
        Article(
            "matchday-berlin", "Late winner settles the Berlin derby",
            "A stoppage-time header decides a tense derby in front of 74,000.",
            "Sports", listOf("533"), ageHours = 5,
        ),
        Article(
            "celebrity-week", "The celebrity scandal everyone is talking about",
            "What we know, what we don't, and why it matters less than you think.",
            "Entertainment", listOf("438"), ageHours = 6,
        ),
        Article(
            "first-marathon", "Your first marathon: a 16-week plan",
            "From 5 km to 42.2 km without injury: long runs, rest days, race pace.",
            "Fitness", listOf("227"), ageHours = 20,
        ),
        Article(
            "one-pan-dinners", "Ten one-pan dinners for busy weeknights",
            "Fewer dishes, more flavour: our readers' favourite quick recipes.",
            "Food", listOf("216"), ageHours = 26,
        ),
        Article(
            "vienna-48h", "48 hours in Vienna",
            "Coffee houses, the Prater and a hotel with a rooftop pool.",
            "Travel", listOf("653", "668"), ageHours = 30,
        ),
        Article(
            "runner-strength", "Five strength exercises every runner needs",
            "Twenty minutes twice a week keeps the knees happy.",
            "Fitness", listOf("225", "227"), ageHours = 34,
        ),
        Article(
            "first-flat", "Renting your first flat in Berlin",
            "Deposits, viewings and the paperwork nobody tells you about.",
            "Home", listOf("442", "452"), ageHours = 40,
        ),
        Article(
            "wedding-stress", "How to plan a wedding without the stress",
            "A twelve-month timeline, from the venue to the thank-you cards.",
            "Life", listOf("165"), ageHours = 48,
        ),
        Article(
            "summer-suit", "What to wear to a summer wedding",
            "Linen or wool? Our guide to looking sharp when it's 30 degrees.",
            "Style", listOf("579", "165"), ageHours = 52,
        ),
        Article(
            "streaming-shows", "Five shows everyone will be talking about",
            "This month's streaming picks, no spoilers.",
            "Entertainment", listOf("640"), ageHours = 60,
        ),
        Article(
            "retirement-30s", "Retirement savings in your thirties",
            "Why starting early beats picking the perfect fund.",
            "Money", listOf("416"), ageHours = 72,
        ),
    )

    /** The article with [id], if the feed has it. */
    fun byId(id: String): Article? = articles.firstOrNull { it.id == id }
}
