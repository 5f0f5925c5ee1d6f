import { Component, type ComponentChildren } from 'preact';

/** Last resort: a page that fails to render says so instead of going blank; its error stays in the console. */
export class ErrorBoundary extends Component<
  { children: ComponentChildren; resetKey: string },
  { failed: boolean }
> {
  override state = { failed: false };

  static override getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidUpdate(previous: { resetKey: string }): void {
    if (previous.resetKey !== this.props.resetKey && this.state.failed) this.setState({ failed: false });
  }

  override render() {
    if (this.state.failed)
      return (
        <div class="message message-error" role="alert">
          <p>
            <strong>This page could not be shown.</strong> Go back, or open another page from the menu.
          </p>
        </div>
      );
    return this.props.children;
  }
}
