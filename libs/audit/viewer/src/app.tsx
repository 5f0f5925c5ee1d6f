import { useEffect, useState } from 'preact/hooks';
import { ErrorBoundary } from './components/error-boundary';
import { Layout } from './components/layout';
import { FieldHistoryPage } from './pages/field-history-page';
import { IntegrityPage } from './pages/integrity-page';
import { PrivilegeChangesPage } from './pages/privilege-changes-page';
import { ReportsPage } from './pages/reports-page';
import { SearchPage } from './pages/search-page';
import { SignInPage } from './pages/sign-in-page';
import { RevertPage } from './pages/revert-page';
import { TrailPage } from './pages/trail-page';
import type { PageProps } from './page-props';
import { useRoute } from './router';
import { storedToken, storeToken } from './session';

function PageFor(props: PageProps) {
  switch (props.route.page) {
    case 'trail':
      return <TrailPage {...props} />;
    case 'revert':
      return <RevertPage {...props} />;
    case 'fields':
      return <FieldHistoryPage {...props} />;
    case 'privileges':
      return <PrivilegeChangesPage {...props} />;
    case 'integrity':
      return <IntegrityPage {...props} />;
    case 'reports':
      return <ReportsPage {...props} />;
    default:
      return <SearchPage {...props} />;
  }
}

/** Without credentials every URL shows the sign-in screen, then the page it names. */
export function App() {
  const route = useRoute();
  const [token, setToken] = useState(storedToken);
  const signIn = (next: string | null) => {
    storeToken(next);
    setToken(next);
    // The form that had focus is gone: start the keyboard at the page the user signed in to.
    setTimeout(() => document.getElementById('content')?.focus(), 0);
  };
  useEffect(() => {
    // Moves focus to the new page so keyboard and screen-reader users start there.
    if (document.activeElement && document.activeElement !== document.body)
      document.getElementById('content')?.focus({ preventScroll: true });
  }, [route.key]);
  if (!token)
    return (
      <Layout page={null} routeKey={null} onSignOut={null}>
        <SignInPage onSignedIn={signIn} />
      </Layout>
    );
  return (
    <Layout page={route.page} routeKey={route.key} onSignOut={() => signIn(null)}>
      <ErrorBoundary resetKey={route.key}>
        <PageFor route={route} onSignIn={() => signIn(null)} />
      </ErrorBoundary>
    </Layout>
  );
}
