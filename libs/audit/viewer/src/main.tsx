import { render } from 'preact';
import { App } from './app';
import { config } from './config';
import './styles.css';

document.title = config.title;
const root = document.getElementById('app');
if (root) render(<App />, root);
