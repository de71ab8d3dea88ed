package org.hearth.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.List
import androidx.compose.material.icons.filled.Favorite
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Lock
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.hearth.demo.model.DemoError
import org.hearth.demo.model.Phase

/** The app's tabs. */
enum class Tab(val title: String, val icon: ImageVector) {
    FEED("Feed", Icons.Filled.Home),
    INTERESTS("Interests", Icons.Filled.Favorite),
    ADS("Ads", Icons.AutoMirrored.Filled.List),
    PRIVACY("Privacy", Icons.Filled.Lock),
    SETTINGS("Settings", Icons.Filled.Settings),
}

/**
 * The whole UI: a bottom bar of [Tab]s over the screens, the start-up and
 * failure screens, and a snackbar for failed actions. Every screen is a
 * function of [org.hearth.demo.model.DemoState] plus callbacks into [vm].
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun HearthApp(vm: DemoViewModel) {
    val state by vm.state.collectAsStateWithLifecycle()
    var tab by rememberSaveable { mutableStateOf(Tab.FEED) }
    val snackbar = remember { SnackbarHostState() }

    // A failed action: show it once, then forget it.
    val error = state.lastError
    LaunchedEffect(error) {
        if (error != null) {
            snackbar.showSnackbar("${error.title}: ${error.detail}")
            vm.dismissError()
        }
    }

    Scaffold(
        topBar = { TopAppBar(title = { Text(tab.title) }) },
        bottomBar = {
            if (state.phase == Phase.Ready) {
                NavigationBar {
                    Tab.entries.forEach { t ->
                        NavigationBarItem(
                            selected = t == tab,
                            onClick = { tab = t },
                            icon = { Icon(t.icon, contentDescription = null) },
                            label = { Text(t.title) },
                        )
                    }
                }
            }
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        Box(Modifier.padding(padding).fillMaxSize()) {
            when (val phase = state.phase) {
                Phase.Starting, Phase.Closed -> Centered { CircularProgressIndicator() }
                is Phase.Failed -> FailedScreen(phase.error, onStartOver = vm::eraseAndStartOver)
                Phase.Ready -> when (tab) {
                    Tab.FEED -> FeedScreen(state, vm)
                    Tab.INTERESTS -> InterestsScreen(state, vm)
                    Tab.ADS -> AdHistoryScreen(state, vm)
                    Tab.PRIVACY -> PrivacyScreen(state, vm)
                    Tab.SETTINGS -> SettingsScreen(state, vm)
                }
            }
        }
    }
}

/** Hearth could not open: say why, and offer the way out when there is one. */
@Composable
fun FailedScreen(error: DemoError, onStartOver: () -> Unit) {
    Column(
        Modifier.fillMaxSize().padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp, Alignment.CenterVertically),
    ) {
        Text(error.title, style = MaterialTheme.typography.headlineSmall)
        Text(error.detail, style = MaterialTheme.typography.bodyMedium)
        if (error.canStartOver) {
            Text(
                "Your profile on this phone cannot be read any more. Starting over erases it " +
                    "and begins with an empty profile; nothing else is affected.",
                style = MaterialTheme.typography.bodyMedium,
            )
            Button(onClick = onStartOver) { Text("Erase and start over") }
        }
    }
}

@Composable
private fun Centered(content: @Composable () -> Unit) {
    Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) { content() }
}

/** Padding shared by the screens' lists. */
val ScreenPadding = PaddingValues(horizontal = 16.dp, vertical = 12.dp)
