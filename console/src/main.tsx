// The console's shell: navigation, theme (light, dark or the system's), admin token, page routing.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { setToken, token } from "./api";
import { AggregatesPage } from "./pages/aggregates";
import { EditionsPage } from "./pages/editions";
import { FlowPage } from "./pages/flow";
import { OperationsPage } from "./pages/operations";
import { TopologyPage } from "./pages/topology";
import { href, useRoute } from "./ui";

const PAGES = [
  { id: "topology", title: "Topology", key: "1" },
  { id: "aggregates", title: "Aggregates", key: "2" },
  { id: "flow", title: "Correlation flow", key: "3" },
  { id: "editions", title: "Editions", key: "4" },
  { id: "operations", title: "Operations", key: "5" },
] as const;

type Theme = "system" | "light" | "dark";
const THEME_KEY = "angzarr.console.theme";

function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(
    () => (localStorage.getItem(THEME_KEY) as Theme | null) ?? "system",
  );
  useEffect(() => {
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return [theme, setTheme];
}

function App() {
  const route = useRoute();
  const [theme, setTheme] = useTheme();
  const [tokenText, setTokenText] = useState(token());

  // Alt+1..5 switches pages from anywhere.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return;
      const page = PAGES.find((p) => p.key === e.key);
      if (page) {
        e.preventDefault();
        location.hash = href(page.id);
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);

  const current = PAGES.find((p) => p.id === route.page) ?? PAGES[0];
  useEffect(() => {
    document.title = `${current.title} · angzarr console`;
  }, [current]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">angzarr</strong>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a
              key={p.id}
              href={href(p.id)}
              aria-current={p.id === current.id ? "page" : undefined}
              title={`${p.title} (Alt+${p.key})`}
            >
              {p.title}
            </a>
          ))}
        </nav>
        <div class="settings">
          <label>
            Theme{" "}
            <select value={theme} onChange={(e) => setTheme(e.currentTarget.value as Theme)}>
              <option value="system">system</option>
              <option value="light">light</option>
              <option value="dark">dark</option>
            </select>
          </label>
          <label>
            Admin token{" "}
            <input
              type="password"
              size={10}
              value={tokenText}
              autocomplete="off"
              onChange={(e) => {
                setTokenText(e.currentTarget.value);
                setToken(e.currentTarget.value);
              }}
            />
          </label>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{current.title}</h1>
        {current.id === "topology" && <TopologyPage />}
        {current.id === "aggregates" && <AggregatesPage params={route.params} />}
        {current.id === "flow" && <FlowPage params={route.params} />}
        {current.id === "editions" && <EditionsPage params={route.params} />}
        {current.id === "operations" && <OperationsPage params={route.params} />}
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
