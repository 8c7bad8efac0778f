"""Apple Podcasts' categories (the list Spotify and the other directories read too)."""

from __future__ import annotations

from radioplay.values import did_you_mean

CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden",
                "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News",
             "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion",
                                "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences",
                "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
               "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}
SEPARATOR = " > "


def split_category(category: str) -> tuple[str, str | None]:
    """"Fiction > Drama" -> ("Fiction", "Drama"); "History" -> ("History", None)."""
    top, _, sub = category.partition(">")
    return top.strip(), sub.strip() or None


def check_category(category: str) -> str:
    """The category written canonically ("Fiction > Drama"); ValueError naming the closest one."""
    top, sub = split_category(category)
    if top not in CATEGORIES:
        raise ValueError(f"= {category!r} is not an Apple Podcasts category{did_you_mean(top, CATEGORIES)} "
                         f"(one of: {', '.join(CATEGORIES)}; a subcategory as \"Fiction > Drama\")")
    if sub is None:
        return top
    if sub not in CATEGORIES[top]:
        known = ", ".join(CATEGORIES[top]) or "none"
        raise ValueError(f"= {category!r}: {sub!r} is not a subcategory of {top}{did_you_mean(sub, CATEGORIES[top])} "
                         f"(its subcategories: {known})")
    return f"{top}{SEPARATOR}{sub}"
