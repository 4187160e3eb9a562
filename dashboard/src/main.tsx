/** Entry point: the stylesheet (bundled to app.css) and the app. */
import './styles/app.css';
import './styles/admin.css';
import './styles/household.css';
import './styles/elder.css';
import './styles/location.css';
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root) render(<App />, root);
