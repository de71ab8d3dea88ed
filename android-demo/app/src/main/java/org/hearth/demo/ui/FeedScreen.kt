package org.hearth.demo.ui

import android.os.SystemClock
import androidx.activity.compose.BackHandler
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Info
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.ElevatedCard
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import org.hearth.demo.model.AdCard
import org.hearth.demo.model.ArticleCard
import org.hearth.demo.model.DemoState
import org.hearth.demo.model.FeedRow
import org.hearth.demo.model.SampleContent
import org.hearth.demo.model.WhyAd

/**
 * The home feed: the app's stories in the order Hearth ranked them on the
 * phone (each with its reason when it is personal), with one ad slot. Tapping
 * a story opens it; closing it records the read (a content view with its
 * dwell time), which is how the profile learns.
 */
@Composable
fun FeedScreen(state: DemoState, vm: DemoViewModel) {
    var openArticle by rememberSaveable { mutableStateOf<String?>(null) }
    var why by remember { mutableStateOf<AdCard?>(null) }

    val open = openArticle
    if (open != null) {
        ArticleScreen(open, onClose = { dwellMs ->
            vm.readArticle(open, dwellMs)
            openArticle = null
        })
        return
    }

    LazyColumn(
        contentPadding = ScreenPadding,
        verticalArrangement = Arrangement.spacedBy(12.dp),
        modifier = Modifier.fillMaxSize(),
    ) {
        item(key = "header") {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(
                    if (state.feed.personalised) "Ranked for you, on this phone" else "Latest stories",
                    style = MaterialTheme.typography.titleMedium,
                    modifier = Modifier.weight(1f),
                )
                TextButton(onClick = vm::refreshFeed) {
                    Icon(Icons.Filled.Refresh, contentDescription = null)
                    Spacer(Modifier.width(4.dp))
                    Text("Refresh")
                }
            }
        }
        items(state.feed.rows, key = { it.key }) { row ->
            when (row) {
                is FeedRow.Story -> StoryCard(row.article, onClick = { openArticle = row.article.id })
                is FeedRow.Ad -> AdSlot(
                    ad = row.ad,
                    onShown = { vm.adShown(row.ad.token) },
                    onClick = { vm.adClicked(row.ad.token) },
                    onWhy = { why = row.ad },
                    onLike = { vm.likeAd(row.ad.token) },
                    onHide = { vm.hideAdvertiser(row.ad.token) },
                )
                is FeedRow.EmptyAdSlot -> EmptyAdSlot(row.reason)
            }
        }
    }

    why?.let { ad -> WhyThisAdDialog(ad, onDismiss = { why = null }) }
}

@Composable
private fun StoryCard(article: ArticleCard, onClick: () -> Unit) {
    Card(Modifier.fillMaxWidth().clickable(onClick = onClick)) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(article.section.uppercase(), style = MaterialTheme.typography.labelSmall)
            Text(article.title, style = MaterialTheme.typography.titleMedium)
            Text(article.summary, style = MaterialTheme.typography.bodyMedium)
            article.reason?.let {
                Text(it, style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.primary)
            }
        }
    }
}

/**
 * The ad slot, filled. The impression is recorded when the card is first
 * composed on screen (not when the ad was chosen), once per ad.
 */
@Composable
private fun AdSlot(
    ad: AdCard,
    onShown: () -> Unit,
    onClick: () -> Unit,
    onWhy: () -> Unit,
    onLike: () -> Unit,
    onHide: () -> Unit,
) {
    LaunchedEffect(ad.token) { onShown() }
    var clicked by remember(ad.token) { mutableStateOf(false) }
    ElevatedCard(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(
                    "Sponsored · ${ad.advertiserName}",
                    style = MaterialTheme.typography.labelSmall,
                    modifier = Modifier.weight(1f),
                )
                TextButton(onClick = onWhy) {
                    Icon(Icons.Filled.Info, contentDescription = null)
                    Spacer(Modifier.width(4.dp))
                    Text("Why this ad?")
                }
            }
            Text(ad.title, style = MaterialTheme.typography.titleMedium)
            Text(ad.body, style = MaterialTheme.typography.bodyMedium)
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                Button(onClick = {
                    onClick()
                    clicked = true
                }) { Text(ad.callToAction) }
                TextButton(onClick = onLike) { Text("Like") }
                TextButton(onClick = onHide) { Text("Hide ${ad.advertiserName}") }
            }
            if (clicked) {
                // The sample catalog's URLs are placeholders; a real app opens
                // ad.clickUrl with LocalUriHandler.current.openUri(...).
                Text("Click recorded. A real app would open ${ad.clickUrl}", style = MaterialTheme.typography.bodySmall)
            }
        }
    }
}

@Composable
private fun EmptyAdSlot(reason: String) {
    OutlinedCard(Modifier.fillMaxWidth()) {
        Text("Ad slot: $reason", style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(16.dp))
    }
}

/** "Why this ad?": Hearth's explanation and what it was based on, all computed on the phone. */
@Composable
fun WhyThisAdDialog(ad: AdCard, onDismiss: () -> Unit) {
    AlertDialog(
        onDismissRequest = onDismiss,
        confirmButton = { TextButton(onClick = onDismiss) { Text("OK") } },
        title = { Text("Why this ad?") },
        text = { WhyDetails(ad.why, ad.advertiserName) },
    )
}

@Composable
private fun WhyDetails(why: WhyAd, advertiser: String) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(why.text)
        Text("Advertiser: $advertiser", style = MaterialTheme.typography.bodySmall)
        Text("Main reason: ${why.basis.label}", style = MaterialTheme.typography.bodySmall)
        if (why.interests.isNotEmpty()) {
            Text(
                "Your interests: " + why.interests.joinToString { "${it.label} (%.1f)".format(it.weight) },
                style = MaterialTheme.typography.bodySmall,
            )
        }
        if (why.traits.isNotEmpty()) {
            Text("Traits: " + why.traits.joinToString(), style = MaterialTheme.typography.bodySmall)
        }
        if (why.pageTopics.isNotEmpty()) {
            Text("On screen: " + why.pageTopics.joinToString(), style = MaterialTheme.typography.bodySmall)
        }
        Text(
            "Chosen on this phone from a signed catalog. Nothing about you was sent to choose it.",
            style = MaterialTheme.typography.bodySmall,
        )
    }
}

/** A story, opened. Closing it (back) reports how long it was open. */
@Composable
private fun ArticleScreen(articleId: String, onClose: (dwellMs: Long) -> Unit) {
    val article = SampleContent.byId(articleId)
    if (article == null) {
        LaunchedEffect(articleId) { onClose(0) }
        return
    }
    val openedAt = remember(articleId) { SystemClock.elapsedRealtime() }
    val close = { onClose(SystemClock.elapsedRealtime() - openedAt) }
    BackHandler(onBack = close)
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(article.section.uppercase(), style = MaterialTheme.typography.labelSmall)
        Text(article.title, style = MaterialTheme.typography.headlineSmall)
        Text(article.summary, style = MaterialTheme.typography.bodyLarge)
        Text(
            "This is where the story would be. Hearth records that you read it — its topics and how " +
                "long you stayed — in the profile on this phone (only with personalised consent).",
            style = MaterialTheme.typography.bodyMedium,
        )
        Button(onClick = close) { Text("Back to the feed") }
    }
}
