// The one way the page builds elements: tag and class from fixed strings, any text
// (a user's included) through textContent, never as HTML.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
