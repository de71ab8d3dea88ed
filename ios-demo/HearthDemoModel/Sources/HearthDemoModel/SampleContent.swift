// The demo app's own content: a small magazine whose articles carry topic
// ids of the IAB Content Taxonomy 3.x embedded in Hearth. A real app tags its
// content the same way (or lets Hearth match a search's text to topics).

import Foundation

/// One article of the demo magazine.
public struct SampleArticle: Sendable, Equatable, Identifiable {
    /// Stable id (the `ContentItem.id` given to `rankItems`).
    public let id: String
    /// Headline.
    public let title: String
    /// Teaser.
    public let summary: String
    /// IAB Content Taxonomy 3.x topic ids.
    public let topics: [String]
    /// How long before "now" it was published, in hours.
    public let ageHours: Int
}

/// The demo magazine.
public enum SampleContent {
    /// Labels of every topic the articles use (the SDK's hidden-topic list
    /// returns ids only; the demo shows these labels for them).
    public static let topicLabels: [String: String] = [
        "210": "Food & Drink", "216": "Cooking", "225": "Fitness and Exercise",
        "227": "Running and Jogging", "165": "Wedding", "432": "Pop Culture",
        "438": "Celebrity Scandal", "442": "Apartments", "452": "Real Estate Renting and Leasing",
        "483": "Sports", "533": "Soccer", "579": "Men's Fashion", "596": "Technology & Computing",
        "635": "Smartphones", "653": "Travel", "668": "Hotels and Motels",
    ]

    /// The articles, in the app's own order (newest first).
    public static let articles: [SampleArticle] = [
        SampleArticle(id: "bundesliga-matchday", title: "Five things we learned on matchday 12",
                      summary: "A late winner, a keeper in form and a title race that refuses to settle.",
                      topics: ["533"], ageHours: 1),
        SampleArticle(id: "marathon-plan", title: "Your first marathon: a 16-week plan",
                      summary: "Long runs, easy days and how not to get injured before race day.",
                      topics: ["227"], ageHours: 2),
        SampleArticle(id: "celebrity-week", title: "The week in celebrity scandal",
                      summary: "Who said what, who unfollowed whom.",
                      topics: ["438"], ageHours: 2),
        SampleArticle(id: "phone-cameras", title: "Smartphone cameras compared at night",
                      summary: "Six phones, one dark street, no tripod.",
                      topics: ["635"], ageHours: 3),
        SampleArticle(id: "one-pot-pasta", title: "One-pot pasta for busy weeknights",
                      summary: "Twenty minutes, one pan, no compromises.",
                      topics: ["216"], ageHours: 4),
        SampleArticle(id: "trail-shoes", title: "Trail running shoes, tested in the mud",
                      summary: "Grip, comfort and how they feel after 30 kilometres.",
                      topics: ["227", "225"], ageHours: 5),
        SampleArticle(id: "wedding-budget", title: "Planning a wedding on a budget",
                      summary: "Where to save and where not to.",
                      topics: ["165"], ageHours: 6),
        SampleArticle(id: "lisbon-48h", title: "48 hours in Lisbon",
                      summary: "Trams, tiles and the best custard tarts in town.",
                      topics: ["653", "668"], ageHours: 8),
        SampleArticle(id: "berlin-renting", title: "Renting in Berlin: what to know first",
                      summary: "Deposits, viewings and the paperwork nobody mentions.",
                      topics: ["452", "442"], ageHours: 12),
        SampleArticle(id: "back-four", title: "Why the back four is back",
                      summary: "Tactics are going in circles, and that's fine.",
                      topics: ["533", "483"], ageHours: 20),
        SampleArticle(id: "boutique-hotels", title: "Boutique hotels under 100 euros",
                      summary: "Small, stylish and not a chain in sight.",
                      topics: ["668"], ageHours: 26),
        SampleArticle(id: "phone-batteries", title: "The phones whose batteries last two days",
                      summary: "We ran them flat so you don't have to.",
                      topics: ["635", "596"], ageHours: 30),
        SampleArticle(id: "suit-comeback", title: "The tailored suit is back",
                      summary: "How to buy one that fits, from shoulders to hem.",
                      topics: ["579"], ageHours: 40),
        SampleArticle(id: "sourdough", title: "Sourdough without the stress",
                      summary: "A starter, a schedule and a forgiving recipe.",
                      topics: ["216", "210"], ageHours: 50),
    ]

    /// The article with this id.
    public static func article(_ id: String) -> SampleArticle? {
        articles.first { $0.id == id }
    }
}
