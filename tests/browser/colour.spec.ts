import { expect, test } from './fixtures';
import { generateSmall, trainTinyOneEpoch } from './steps';
import { REALDATA } from './realdata';

test('a colour upload is kept as RGB (and a grey one as grey) across a reload', async ({ page }) => {
  await page.goto('./');
  await page.getByRole('button', { name: 'Real data' }).click();
  await page.getByLabel('Choose images or zip').setInputFiles([`${REALDATA}grains/mlographypp-tbm/images/10-0-768.png`, `${REALDATA}grains/nist-optical-steel/images/nist-steel.png`]);
  await expect(page.getByText(/Imported 2 images/)).toBeVisible();
  await page.reload();
  await page.getByRole('button', { name: 'Real data' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: '10-0-768.png' })).toContainText('256×256 · RGB');
  await expect(page.getByRole('listitem').filter({ hasText: 'nist-steel.png' })).toContainText('800×600');
  await expect(page.getByRole('listitem').filter({ hasText: 'nist-steel.png' })).not.toContainText('RGB');
});

test('a colour-etched dataset trains an RGB U-Net in the Train tab', async ({ page }) => {
  await page.goto('./');
  await page.getByLabel('Preset').selectOption('colour-etched');
  await generateSmall(page, 'grains', 8);
  await trainTinyOneEpoch(page, 4);
  await expect(page.getByRole('row').filter({ hasText: 'depth 10 × 0.125, RGB input' })).toBeVisible();
});
