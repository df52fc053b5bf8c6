// Avatars: the user's initials on a colour derived from their id, with the Gravatar laid
// over it once (and only if) it loads. Offline there is never a broken-image icon.

const failed = new Set();  // Gravatar URLs that did not load: use the initials at once

function hashString(s) {
  let h = 0x811c9dc5;  // FNV-1a
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function initials(name) {
  const words = String(name || '').match(/[\p{L}\p{N}]+/gu) || [];
  return words.slice(0, 2).map((w) => Array.from(w)[0]).join('').toUpperCase() || '?';
}

// A decorative element (the name is always shown beside it), so hidden from screen readers.
export function avatar(user) {
  const box = document.createElement('span');
  box.className = 'avatar';
  box.setAttribute('aria-hidden', 'true');
  box.textContent = initials(user.name);
  box.style.backgroundColor = 'hsl(' + (hashString(user.id || user.name || '') % 360) + ', 52%, 44%)';
  const url = user.avatarUrl;
  if (url && /^https?:\/\//i.test(url) && !failed.has(url)) {
    const img = document.createElement('img');
    img.alt = '';
    img.decoding = 'async';
    img.referrerPolicy = 'no-referrer';
    img.addEventListener('load', () => img.classList.add('loaded'));
    img.addEventListener('error', () => {
      failed.add(url);
      img.remove();
    });
    img.src = url;
    box.appendChild(img);
  }
  return box;
}
