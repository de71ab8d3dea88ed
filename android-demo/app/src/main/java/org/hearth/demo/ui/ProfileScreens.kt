package org.hearth.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import java.text.DateFormat
import java.util.Date
import org.hearth.demo.model.ConsentChoice
import org.hearth.demo.model.DemoState
import org.hearth.demo.model.HistoryRow
import org.hearth.demo.model.InterestRow

/**
 * "Your interests": what Hearth learned on this phone, heaviest first, each
 * with its reason and a remove button (removed topics are never learned again
 * until allowed), and the removed topics with "allow again".
 */
@Composable
fun InterestsScreen(state: DemoState, vm: DemoViewModel) {
    LazyColumn(
        contentPadding = ScreenPadding,
        verticalArrangement = Arrangement.spacedBy(8.dp),
        modifier = Modifier.fillMaxSize(),
    ) {
        item(key = "intro") {
            Text(
                when {
                    state.consent != ConsentChoice.PERSONALISED && state.interests.isEmpty() ->
                        "Hearth learns nothing without personalised consent (Settings)."
                    state.interests.isEmpty() -> "Nothing learned yet: read a few stories in the feed."
                    else -> "Learned on this phone from what you read. Nothing here has left it."
                },
                style = MaterialTheme.typography.bodyMedium,
            )
        }
        items(state.interests, key = { it.topicId }) { row ->
            InterestItem(row, onRemove = { vm.removeInterest(row.topicId) })
        }
        if (state.removedTopics.isNotEmpty()) {
            item(key = "removed-header") {
                Column {
                    HorizontalDivider()
                    Text("Removed topics", style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 8.dp))
                }
            }
            items(state.removedTopics, key = { "removed:" + it.topicId }) { topic ->
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Text(topic.label, modifier = Modifier.weight(1f))
                    TextButton(onClick = { vm.allowInterest(topic.topicId) }) { Text("Allow again") }
                }
            }
        }
    }
}

@Composable
private fun InterestItem(row: InterestRow, onRemove: () -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Row(Modifier.padding(12.dp), verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(row.label, style = MaterialTheme.typography.titleMedium)
                Text(row.path, style = MaterialTheme.typography.labelSmall)
                LinearProgressIndicator(progress = { row.share.toFloat() }, modifier = Modifier.fillMaxWidth())
                Text(row.reason, style = MaterialTheme.typography.bodySmall)
            }
            IconButton(onClick = onRemove) { Icon(Icons.Filled.Delete, contentDescription = "Remove ${row.label}") }
        }
    }
}

/**
 * "Ads you've seen" (the last 30 days, on the phone): each with the user's
 * reactions, and like / hide-the-advertiser (or show it again).
 */
@Composable
fun AdHistoryScreen(state: DemoState, vm: DemoViewModel) {
    LazyColumn(
        contentPadding = ScreenPadding,
        verticalArrangement = Arrangement.spacedBy(8.dp),
        modifier = Modifier.fillMaxSize(),
    ) {
        item(key = "intro") {
            Text(
                if (state.history.isEmpty()) "No ads seen yet." else "Ads shown on this phone in the last 30 days. The list never leaves it.",
                style = MaterialTheme.typography.bodyMedium,
            )
        }
        items(state.history, key = { it.token }) { row ->
            HistoryItem(
                row,
                onLike = { vm.likeAd(row.token) },
                onHide = { vm.hideAdvertiser(row.token) },
                onUnhide = { vm.unhideAdvertiser(row.advertiserId) },
            )
        }
    }
}

@Composable
private fun HistoryItem(row: HistoryRow, onLike: () -> Unit, onHide: () -> Unit, onUnhide: () -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(row.title, style = MaterialTheme.typography.titleMedium)
            Text(
                "${row.advertiserName} · ${DateFormat.getDateTimeInstance(DateFormat.SHORT, DateFormat.SHORT).format(Date(row.shownAtMs))}",
                style = MaterialTheme.typography.labelSmall,
            )
            if (row.reactions.isNotEmpty()) {
                Text("You: " + row.reactions.joinToString(), style = MaterialTheme.typography.bodySmall)
            }
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                TextButton(onClick = onLike, enabled = !row.liked) { Text(if (row.liked) "Liked" else "Like") }
                if (row.advertiserHidden) {
                    TextButton(onClick = onUnhide) { Text("Show ${row.advertiserName} again") }
                } else {
                    TextButton(onClick = onHide) { Text("Hide ${row.advertiserName}") }
                }
            }
        }
    }
}
